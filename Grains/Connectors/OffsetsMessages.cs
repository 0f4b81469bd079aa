using OrleansConnect.Grains.Interfaces.Errors;

namespace OrleansConnect.Grains.Connectors;

/// <summary>Connect's answers to offset alter and reset requests (KIP-875).</summary>
internal static class OffsetsMessages
{
    /// <summary>The success message: definite when the connector's alterOffsets hook confirmed the change, otherwise a
    /// reminder that offsets the connector keeps elsewhere are untouched.</summary>
    public static string Modified(bool confirmedByConnector, bool reset)
    {
        var modification = reset ? "reset" : "altered";
        return confirmedByConnector
            ? $"The offsets for this connector have been {modification} successfully"
            : $"The Connect framework-managed offsets for this connector have been {modification} successfully. However, if this "
              + $"connector manages offsets externally, they will need to be manually {modification} in the system that the connector uses.";
    }

    public static BadRequestException NotStopped(string connector) => new(
        "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified "
        + $"connector by issuing a 'PUT' request to the '/connectors/{connector}/stop' endpoint");

    /// <summary>What the connector's alterOffsets hook threw, as Connect reports it: its own ConnectException as is (500),
    /// an unsupported operation as such, anything else wrapped.</summary>
    public static ConnectRestException HookFailed(Exception e, string connector, string type) => e switch
    {
        Connect.Errors.ConnectException => new ConnectRestException(500, e.Message),
        NotSupportedException => new ConnectRestException(500,
            $"Failed to modify offsets for connector {connector} because it doesn't support external modification of offsets"),
        _ => new ConnectRestException(500, $"Failed to modify offsets for {type} connector {connector}: {e.Message}"),
    };
}
