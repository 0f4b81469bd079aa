using Orleans;
using OrleansConnect.Grains.Interfaces.Models;

namespace OrleansConnect.Grains.Interfaces;

/// <summary>POST /transforms/preview (an extension): runs a connector config's converters and transformation chain
/// on sample records, without a connector. Stateless; key "local" (each silo answers with its own plugins).</summary>
[Alias("oc.ITransformPreviewGrain")]
public interface ITransformPreviewGrain : IGrainWithStringKey
{
    public const string LocalKey = "local";

    /// <summary>One outcome per record, in order. Throws BadRequestException (400) naming the key for an invalid
    /// transform, predicate or converter config, or for a malformed request.</summary>
    Task<TransformPreviewResponse> Preview(TransformPreviewRequest request);
}
