namespace OrleansConnect.Grains.Interfaces.Errors;

/// <summary>An error the REST layer renders as {"error_code": Status, "message": Message}.
/// Grains throw these; they carry only data so they can cross silos.</summary>
public class ConnectRestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>404.</summary>
public sealed class NotFoundException(string message) : ConnectRestException(404, message);

/// <summary>409.</summary>
public sealed class AlreadyExistsException(string message) : ConnectRestException(409, message);

/// <summary>400.</summary>
public sealed class BadRequestException(string message) : ConnectRestException(400, message);
