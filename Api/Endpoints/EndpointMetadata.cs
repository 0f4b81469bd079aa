using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Models;

namespace OrleansConnect.Api.Endpoints;

/// <summary>Shorthands for the OpenAPI description of responses and bodies.</summary>
internal static class EndpointMetadata
{
    public static RouteHandlerBuilder Returns<T>(this RouteHandlerBuilder builder, int status = StatusCodes.Status200OK) =>
        builder.Produces<T>(status, JsonBody.MediaType);

    public static RouteHandlerBuilder ReturnsNoBody(this RouteHandlerBuilder builder, int status) =>
        builder.Produces(status);

    /// <summary>Statuses answered with Connect's {"error_code","message"} body.</summary>
    public static RouteHandlerBuilder Fails(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
            builder.Produces<ErrorMessage>(status, JsonBody.MediaType);
        return builder;
    }

    /// <summary>A JSON request body (read by the handler itself, so the handler decides what a bad one gets).</summary>
    public static RouteHandlerBuilder Consumes<T>(this RouteHandlerBuilder builder) where T : notnull =>
        builder.Accepts<T>(JsonBody.MediaType).Fails(StatusCodes.Status400BadRequest, StatusCodes.Status415UnsupportedMediaType);
}
