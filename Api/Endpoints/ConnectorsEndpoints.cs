using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Errors;
using OrleansConnect.Api.Http;
using OrleansConnect.Api.Json;
using OrleansConnect.Api.Logging;
using OrleansConnect.Api.Models;
using OrleansConnect.Grains.Interfaces;
using OrleansConnect.Grains.Interfaces.Errors;
using OrleansConnect.Grains.Interfaces.Models;
using static Microsoft.AspNetCore.Http.StatusCodes;

namespace OrleansConnect.Api.Endpoints;

/// <summary>/connectors: the connector lifecycle (contract §3 rows 3-18, §4). Every answer about a connector comes
/// from its ConnectorGrain; the grains throw Connect's 404/409/400 errors with Connect's messages.</summary>
internal static class ConnectorsEndpoints
{
    private const string NameKey = "name";
    private const string ConfigShape = "a JSON object of config keys to string values";
    private const string CreateShape =
        "a JSON object {\"name\": string, \"config\": {string: string}, \"initial_state\"?: \"RUNNING\"|\"PAUSED\"|\"STOPPED\"}";

    // A task id that is not an integer matches no route ({task:int}): 404 "HTTP 404 Not Found", as in Connect.
    // Index of {connector} among the path segments: "connectors/{connector}/...".
    private const int ConnectorSegment = 1;

    public static void MapConnectorsEndpoints(this IEndpointRouteBuilder app, ILogger log)
    {
        var connectors = app.MapGroup("/connectors").WithTags("Connectors");

        connectors.MapGet("/", (HttpContext context, [FromServices] ConnectGrains grains, [FromQuery(Name = "expand")] string[]? expand) =>
                List(context, grains, expand, log))
            .WithName("listConnectors")
            .WithSummary("Connector names, sorted; with expand=status and/or expand=info, a map of name to the requested expansions")
            .Returns<List<string>>()
            .Produces<SortedDictionary<string, ConnectorExpansion>>(Status200OK, JsonBody.MediaType);

        connectors.MapPost("/", (HttpContext context, [FromServices] ConnectGrains grains) => Create(context, grains, log))
            .WithName("createConnector")
            .WithSummary("Create a connector (201 with Location); the name is trimmed and config.name must match it")
            .Consumes<CreateConnectorRequest>()
            .Returns<ConnectorInfo>(Status201Created)
            .Fails(Status409Conflict, Status500InternalServerError);

        // Extension: the exact name in the query, for connectors stored before names were checked (or given on the
        // command line) whose name no path segment can carry, e.g. "..". Without name it stays 405, as in Connect.
        connectors.MapDelete("/", async (HttpContext context, [FromServices] ConnectGrains grains, [FromQuery(Name = NameKey)] string? name) =>
            {
                if (name is null) return Results.StatusCode(Status405MethodNotAllowed);
                ApiLog.DeletingConnector(log, name);
                await grains.Call(() => grains.Connector(name).Delete(), context.RequestAborted);
                return Results.NoContent();
            })
            .WithName("destroyConnectorByName")
            .WithSummary("Extension: delete the connector named exactly by the name query parameter (any stored name)")
            .ReturnsNoBody(Status204NoContent).Fails(Status404NotFound);

        connectors.MapGet("/{connector}", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TypedResults.Json(await Read(context, grains, connector, g => g.GetInfo(), live => live.Info),
                    ConnectJsonContext.Wire.ConnectorInfo))
            .WithName("getConnector").WithSummary("Config, tasks and type of a connector")
            .Returns<ConnectorInfo>().Fails(Status404NotFound);

        connectors.MapDelete("/{connector}", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
            {
                var name = Name(context, connector);
                ApiLog.DeletingConnector(log, name);
                await grains.Call(() => grains.Connector(name).Delete(), context.RequestAborted);
                return Results.NoContent();
            })
            .WithName("destroyConnector").WithSummary("Delete a connector")
            .ReturnsNoBody(Status204NoContent).Fails(Status404NotFound);

        connectors.MapGet("/{connector}/config", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TypedResults.Json((await Read(context, grains, connector, g => g.GetInfo(), live => live.Info)).Config,
                    ConnectJsonContext.Wire.DictionaryStringString))
            .WithName("getConnectorConfig").WithSummary("The stored config of a connector, including name")
            .Returns<Dictionary<string, string>>().Fails(Status404NotFound);

        connectors.MapPut("/{connector}/config", (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                PutConfig(context, grains, connector, log))
            .WithName("putConnectorConfig")
            .WithSummary("Create (201 with Location) or replace (200) a connector's config; config.name must match the URL")
            .Consumes<Dictionary<string, string>>()
            .Returns<ConnectorInfo>().Returns<ConnectorInfo>(Status201Created)
            .Fails(Status409Conflict, Status500InternalServerError);

        connectors.MapPatch("/{connector}/config", (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                PatchConfig(context, grains, connector, log))
            .WithName("patchConnectorConfig")
            .WithSummary("Set the keys given with values and remove the keys given as null")
            .Consumes<Dictionary<string, string>>()
            .Returns<ConnectorInfo>().Fails(Status404NotFound);

        connectors.MapGet("/{connector}/status", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TypedResults.Json(await Read(context, grains, connector, g => g.GetStatus(), live => live.Status),
                    ConnectJsonContext.Wire.ConnectorStateInfo))
            .WithName("getConnectorStatus").WithSummary("State of the connector and its tasks")
            .Returns<ConnectorStateInfo>().Fails(Status404NotFound);

        // Beyond Connect (which exposes metrics only over JMX): what /metrics says of the connector's tasks, gathered from
        // every silo they run on, for the console and for scripts without a Prometheus.
        connectors.MapGet("/{connector}/metrics", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TypedResults.Json(await grains.Call(Grain(context, grains, connector).GetMetrics(), context.RequestAborted),
                    ConnectJsonContext.Wire.ConnectorMetricsInfo))
            .WithName("getConnectorMetrics").WithSummary("Rates, lag and error counts of the connector's running tasks (not in Kafka Connect)")
            .Returns<ConnectorMetricsInfo>().Fails(Status404NotFound);

        MapTargetState(connectors, "pause", "pauseConnector", "PAUSED", Status202Accepted, log, g => g.Pause());
        MapTargetState(connectors, "resume", "resumeConnector", "STARTED", Status202Accepted, log, g => g.Resume());
        MapTargetState(connectors, "stop", "stopConnector", "STOPPED", Status204NoContent, log, g => g.Stop());

        connectors.MapPost("/{connector}/restart", (HttpContext context, string connector, [FromServices] ConnectGrains grains,
                    [FromQuery] string? includeTasks, [FromQuery] string? onlyFailed) =>
                Restart(context, grains, connector, log))
            .WithName("restartConnector")
            .WithSummary("Restart the connector (204); with includeTasks and/or onlyFailed, 202 with the states the restart plan shows")
            .ReturnsNoBody(Status204NoContent).Returns<ConnectorStateInfo>(Status202Accepted).Fails(Status404NotFound);

        connectors.MapGet("/{connector}/tasks", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TypedResults.Json(await grains.Call(Grain(context, grains, connector).GetTasks(), context.RequestAborted),
                    ConnectJsonContext.Wire.ListTaskInfo))
            .WithName("getTaskConfigs").WithSummary("The connector's tasks and their configs")
            .Returns<List<TaskInfo>>().Fails(Status404NotFound);

        connectors.MapGet("/{connector}/tasks-config", (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TasksConfig(context, grains, connector))
            .WithName("getTasksConfig").WithSummary("Deprecated in Kafka 3.7: task configs keyed by \"<connector>-<task>\"")
            .Returns<Dictionary<string, Dictionary<string, string>>>().Fails(Status404NotFound);

        connectors.MapGet("/{connector}/tasks/{task:int}/status", async (HttpContext context, string connector, int task,
                    [FromServices] ConnectGrains grains) =>
                TypedResults.Json(await Read(context, grains, connector, g => g.GetTaskStatus(task),
                        live => live.Status?.Tasks.FirstOrDefault(t => t.Id == task)),
                    ConnectJsonContext.Wire.TaskState))
            .WithName("getTaskStatus").WithSummary("State of one task")
            .Returns<TaskState>().Fails(Status404NotFound);

        connectors.MapPost("/{connector}/tasks/{task:int}/restart", async (HttpContext context, string connector, int task,
                    [FromServices] ConnectGrains grains) =>
            {
                var name = Name(context, connector);
                ApiLog.RestartingTask(log, name, task);
                await grains.Call(() => grains.Connector(name).RestartTask(task), context.RequestAborted);
                return Results.NoContent();
            })
            .WithName("restartTask").WithSummary("Restart one task")
            .ReturnsNoBody(Status204NoContent).Fails(Status404NotFound);

        connectors.MapGet("/{connector}/topics", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
            {
                var name = Name(context, connector);
                var topics = await grains.Call(grains.Connector(name).GetActiveTopics(), context.RequestAborted);
                var result = new Dictionary<string, ActiveTopicsInfo>(StringComparer.Ordinal) { [name] = new ActiveTopicsInfo(topics) };
                return TypedResults.Json(result, ConnectJsonContext.Wire.DictionaryStringActiveTopicsInfo);
            })
            .WithName("getConnectorActiveTopics")
            .WithSummary("Topics the connector's tasks used since the last reset, as {\"<connector>\": {\"topics\": [...]}}; an unknown connector has none")
            .Returns<Dictionary<string, ActiveTopicsInfo>>().Fails(Status403Forbidden);

        connectors.MapPut("/{connector}/topics/reset", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
            {
                var name = Name(context, connector);
                ApiLog.ResettingActiveTopics(log, name);
                await grains.Call(grains.Connector(name).ResetActiveTopics(), context.RequestAborted);
                return Results.StatusCode(Status202Accepted);
            })
            .WithName("resetConnectorActiveTopics").WithSummary("Forget the connector's active topics (no body)")
            .ReturnsNoBody(Status202Accepted).Fails(Status403Forbidden);

        connectors.MapGet("/{connector}/offsets", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
                TypedResults.Json(OffsetsBody.ForWriting(await grains.Call(Grain(context, grains, connector).GetOffsets(), context.RequestAborted)),
                    ConnectJsonContext.Wire.ConnectorOffsets))
            .WithName("getOffsets")
            .WithSummary("The connector's offsets, in any state: a source's partitions and offsets, a sink's consumer group offsets")
            .Returns<ConnectorOffsets>().Fails(Status404NotFound);

        connectors.MapPatch("/{connector}/offsets", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
            {
                // The body is checked before the connector's existence, as in Connect.
                var offsets = await OffsetsBody.ReadAsync(context.Request, context.RequestAborted);
                var name = Name(context, connector);
                ApiLog.AlteringOffsets(log, name, offsets.Offsets.Count);
                var message = await grains.Call(grains.Connector(name).AlterOffsets(offsets), context.RequestAborted);
                return TypedResults.Json(new Message(message), ConnectJsonContext.Wire.Message);
            })
            .WithName("alterConnectorOffsets")
            .WithSummary("Alter offsets of a STOPPED connector (a null offset removes that partition's offset)")
            .Consumes<ConnectorOffsets>()
            .Returns<Message>().Fails(Status404NotFound, Status500InternalServerError);

        connectors.MapDelete("/{connector}/offsets", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
            {
                var name = Name(context, connector);
                ApiLog.ResettingOffsets(log, name);
                var message = await grains.Call(grains.Connector(name).ResetOffsets(), context.RequestAborted);
                return TypedResults.Json(new Message(message), ConnectJsonContext.Wire.Message);
            })
            .WithName("resetConnectorOffsets").WithSummary("Remove every offset of a STOPPED connector (idempotent)")
            .Returns<Message>().Fails(Status400BadRequest, Status404NotFound, Status500InternalServerError);
    }

    private static void MapTargetState(RouteGroupBuilder connectors, string verb, string operation, string target, int status,
        ILogger log, Func<Grains.Interfaces.IConnectorGrain, Task> change)
    {
        connectors.MapPut($"/{{connector}}/{verb}", async (HttpContext context, string connector, [FromServices] ConnectGrains grains) =>
            {
                var name = Name(context, connector);
                ApiLog.ChangingTargetState(log, name, target);
                await grains.Call(() => change(grains.Connector(name)), context.RequestAborted);
                return Results.StatusCode(status);
            })
            .WithName(operation).WithSummary($"Set the connector's target state to {target} (idempotent, no body)")
            .ReturnsNoBody(status).Fails(Status404NotFound);
    }

    private static async Task<IResult> List(HttpContext context, ConnectGrains grains, string[]? expand, ILogger log)
    {
        var ct = context.RequestAborted;
        var names = await grains.Call(grains.Listings.ListNamesAsync(ct), ct);
        // Any expand parameter, even an empty or unknown one, switches to the map form.
        if (!context.Request.Query.ContainsKey("expand"))
            return TypedResults.Json(names, ConnectJsonContext.Wire.ListString);

        // Exact, case-sensitive values as in Connect; others are ignored.
        var expansions = expand ?? [];
        bool status = expansions.Contains("status"), info = expansions.Contains("info");
        var result = new SortedDictionary<string, ConnectorExpansion>(StringComparer.Ordinal);
        if (!status && !info)
        {
            foreach (var name in names) result[name] = new ConnectorExpansion();
        }
        else
        {
            // Every connector from one call per silo rather than one per connector and task. A connector deleted between
            // listing and reading is left out, as Connect does.
            var listings = await grains.Call(grains.Listings.GetAsync(names, status, info, ct), ct);
            foreach (var (name, listing) in listings)
                result[name] = new ConnectorExpansion { Status = listing.Status, Info = listing.Info };
            if (listings.Count < names.Count) ApiLog.ConnectorVanished(log, string.Join(", ", names.Where(n => !listings.ContainsKey(n))));
        }
        return TypedResults.Json(result, ConnectJsonContext.Wire.SortedDictionaryStringConnectorExpansion);
    }

    private static async Task<IResult> Create(HttpContext context, ConnectGrains grains, ILogger log)
    {
        var request = await JsonBody.ReadAsync(context.Request, ConnectRequestJsonContext.Default.CreateConnectorRequest,
                          CreateShape, context.RequestAborted)
                      ?? throw new BadRequestException($"Request body is missing. Expected {CreateShape}.");
        if (request.Config is null)
            throw new BadRequestException($"Connector config is missing: the request needs a \"config\" object. Expected {CreateShape}.");

        var name = JavaTrim(request.Name ?? "");
        var initialState = ParseInitialState(request.InitialState);
        var config = CheckAndPutName(name, request.Config);
        ConnectorNames.CheckAddressable(name);

        ApiLog.CreatingConnector(log, name, request.InitialState?.ToUpperInvariant() ?? "RUNNING");
        await grains.RefuseBlankName(name, config, context.RequestAborted);
        var result = await grains.Call(() => grains.Connector(name).PutConfig(config, allowReplace: false, initialState), context.RequestAborted);
        ApiLog.ConfigStored(log, name, "created");
        context.Response.Headers.Location = ConnectorLocation(context.Request, name);
        return TypedResults.Json(result.Info, ConnectJsonContext.Wire.ConnectorInfo, statusCode: Status201Created);
    }

    private static async Task<IResult> PutConfig(HttpContext context, ConnectGrains grains, string connector, ILogger log)
    {
        var name = Name(context, connector);
        var body = await JsonBody.ReadAsync(context.Request, ConnectRequestJsonContext.Default.DictionaryStringString,
                       ConfigShape, context.RequestAborted)
                   ?? throw new BadRequestException($"Request body is missing. Expected {ConfigShape}.");
        // The URL's name is used as it is (not trimmed), as in Connect.
        var config = CheckAndPutName(name, body);
        ConnectorNames.CheckAddressable(name);

        ApiLog.PuttingConfig(log, name);
        await grains.RefuseBlankName(name, config, context.RequestAborted);
        var result = await grains.Call(() => grains.Connector(name).PutConfig(config, allowReplace: true, initialState: null), context.RequestAborted);
        ApiLog.ConfigStored(log, name, result.Created ? "created" : "updated");
        if (!result.Created)
            return TypedResults.Json(result.Info, ConnectJsonContext.Wire.ConnectorInfo);
        context.Response.Headers.Location = ConnectorLocation(context.Request, name);
        return TypedResults.Json(result.Info, ConnectJsonContext.Wire.ConnectorInfo, statusCode: Status201Created);
    }

    private static async Task<IResult> PatchConfig(HttpContext context, ConnectGrains grains, string connector, ILogger log)
    {
        var name = Name(context, connector);
        var patch = await JsonBody.ReadAsync(context.Request, ConnectRequestJsonContext.Default.DictionaryStringString,
                        ConfigShape + " (null removes a key)", context.RequestAborted)
                    ?? throw new BadRequestException($"Request body is missing. Expected {ConfigShape} (null removes a key).");

        ApiLog.PatchingConfig(log, name, patch.Count);
        var info = await grains.Call(() => grains.Connector(name).PatchConfig(patch), context.RequestAborted);
        return TypedResults.Json(info, ConnectJsonContext.Wire.ConnectorInfo);
    }

    private static async Task<IResult> Restart(HttpContext context, ConnectGrains grains, string connector, ILogger log)
    {
        var name = Name(context, connector);
        var includeTasks = QueryFlags.Get(context.Request, "includeTasks", defaultValue: false);
        var onlyFailed = QueryFlags.Get(context.Request, "onlyFailed", defaultValue: false);

        ApiLog.RestartingConnector(log, name, includeTasks, onlyFailed);
        var plan = await grains.Call(() => grains.Connector(name).Restart(includeTasks, onlyFailed), context.RequestAborted);
        // Connect's legacy restart (neither flag) answers 204; any flag makes it 202 with the planned states.
        if (!includeTasks && !onlyFailed)
            return Results.NoContent();
        return plan is null
            ? Results.StatusCode(Status202Accepted)
            : TypedResults.Json(plan, ConnectJsonContext.Wire.ConnectorStateInfo, statusCode: Status202Accepted);
    }

    private static async Task<IResult> TasksConfig(HttpContext context, ConnectGrains grains, string connector)
    {
        var tasks = await grains.Call(Grain(context, grains, connector).GetTasks(), context.RequestAborted);
        var result = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var task in tasks.OrderBy(t => t.Id.Task))
            result[task.Id.ToString()] = task.Config;
        return TypedResults.Json(result, ConnectJsonContext.Wire.DictionaryStringDictionaryStringString);
    }

    /// <summary>A read of one connector. When its grain (or the grain directory's entry for it) is on a silo that cannot
    /// be reached, the silos that answer are asked whether they hold its activation (a connector whose tasks, or whose
    /// directory entry, are on the lost silo still runs); otherwise 503 names the silo.</summary>
    private static async Task<T> Read<T>(HttpContext context, ConnectGrains grains, string routeValue,
        Func<Grains.Interfaces.IConnectorGrain, Task<T>> call, Func<ConnectorListing, T?> fromLive) where T : class
    {
        var name = Name(context, routeValue);
        var ct = context.RequestAborted;
        try
        {
            return await grains.Call(() => call(grains.Connector(name)), ct);
        }
        catch (Exception e) when (SiloUnreachable.Is(e) && !SiloUnreachable.IsForwardingFailure(e))
        {
            if (await grains.Call(grains.Listings.GetLiveAsync(name, ct), ct) is { } live && fromLive(live) is { } answer)
                return answer;
            throw new ConnectRestException(Status503ServiceUnavailable,
                ConnectErrorMiddleware.UnreachableMessage(e, context.RequestServices.GetService<ISiloNames>(), name));
        }
    }

    private static string Name(HttpContext context, string routeValue) =>
        RouteNames.Decode(context, routeValue, ConnectorSegment);

    private static Grains.Interfaces.IConnectorGrain Grain(HttpContext context, ConnectGrains grains, string routeValue) =>
        grains.Connector(Name(context, routeValue));

    /// <summary>Connect's rule for the name inside a config: if present it must equal the connector's name, else the
    /// name is added. Also rejects null values, which Connect's validation reports as config errors.</summary>
    private static Dictionary<string, string> CheckAndPutName(string name, Dictionary<string, string?> body)
    {
        if (body.TryGetValue(NameKey, out var included) && included is not null && !string.Equals(included, name, StringComparison.Ordinal))
            throw new BadRequestException($"Connector name configuration ({included}) doesn't match connector name in the URL ({name})");

        var nulls = body.Where(kv => kv.Value is null && kv.Key != NameKey).Select(kv => kv.Key).ToList();
        if (nulls.Count > 0)
        {
            throw new BadRequestException(
                $"Connector configuration is invalid and contains the following {nulls.Count} error(s):\n"
                + string.Concat(nulls.Select(_ => "Null value can not be supplied as the configuration value.\n"))
                + "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`");
        }

        var config = new Dictionary<string, string>(body.Count + 1, StringComparer.Ordinal);
        foreach (var (key, value) in body)
        {
            if (value is not null)
                config[key] = value;
        }
        config[NameKey] = name;
        return config;
    }

    private static TargetState? ParseInitialState(string? value) =>
        value?.ToUpperInvariant() switch
        {
            null => null,
            "RUNNING" => TargetState.Started,
            "PAUSED" => TargetState.Paused,
            "STOPPED" => TargetState.Stopped,
            _ => throw new BadRequestException($"Invalid initial_state '{value}': expected one of RUNNING, PAUSED, STOPPED."),
        };

    /// <summary>Java's String.trim(): strips every character up to U+0020 (controls included) from both ends.</summary>
    private static string JavaTrim(string value)
    {
        int start = 0, end = value.Length;
        while (start < end && value[start] <= ' ')
            start++;
        while (end > start && value[end - 1] <= ' ')
            end--;
        return value[start..end];
    }

    /// <summary>Absolute URL of the connector, its name percent-encoded as one path segment.</summary>
    private static string ConnectorLocation(HttpRequest request, string name) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/connectors/{Uri.EscapeDataString(name)}";
}
