namespace OrleansConnect.Grains.Errors;

/// <summary>errors.tolerance: none fails the task at the first error, all skips the failed record.</summary>
public enum ToleranceType { None, All }
