using Orleans;

namespace OrleansConnect.Grains.Interfaces.Errors;

/// <summary>An error the REST layer renders as {"error_code": Status, "message": Message}. Grains throw these; Orleans
/// serializes them with their status, so an error raised on another silo reaches the client with its code.</summary>
[GenerateSerializer, Alias("oc.ConnectRestException")]
public class ConnectRestException(int status, string message) : Exception(message)
{
    [Id(0)]
    public int Status { get; private set; } = status;
}

/// <summary>404.</summary>
[GenerateSerializer, Alias("oc.NotFoundException")]
public sealed class NotFoundException(string message) : ConnectRestException(404, message);

/// <summary>409.</summary>
[GenerateSerializer, Alias("oc.AlreadyExistsException")]
public sealed class AlreadyExistsException(string message) : ConnectRestException(409, message);

/// <summary>400.</summary>
[GenerateSerializer, Alias("oc.BadRequestException")]
public sealed class BadRequestException(string message) : ConnectRestException(400, message);
