namespace OrleansConnect.Runtime;

/// <summary>Opts a grain class with persistent state into rebalancing: when a silo joins (or the spread is otherwise
/// uneven by more than one), the most loaded silo moves such activations, one at a time, to the least loaded one.
/// A moved grain is deactivated cleanly (<see cref="DeactivationReasonCode.Migrating"/>) and resumes from its state
/// on the new silo; grains without persistent state are never moved.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class RebalanceableAttribute : Attribute;
