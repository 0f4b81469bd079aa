using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OrleansConnect.Api.Console;

/// <summary>The web console at /ui: a page, a script and a style sheet embedded in this assembly, so every silo serves
/// it with no build step or separate server. The page only calls the Connect REST API of the silo that served it.</summary>
public static class ConsoleEndpoints
{
    private const string Prefix = "OrleansConnect.Api.Console.wwwroot.";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    public static IEndpointRouteBuilder MapConnectConsole(this IEndpointRouteBuilder app)
    {
        var assets = ContentTypes.Keys.ToDictionary(name => name, Read, StringComparer.Ordinal);
        var dashboard = app.ServiceProvider.GetRequiredService<IOptions<ConnectApiOptions>>().Value.DashboardPath;
        // The page learns where the dashboard is (or that it is off) without a request of its own.
        assets["index.html"] = assets["index.html"].Replace("{{dashboard}}", dashboard ?? "", StringComparison.Ordinal);

        // Routing matches /ui and /ui/ alike; the page's relative links want the slash.
        app.MapGet("/ui", (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? Asset(assets, "index.html")
            : Results.Redirect("/ui/", permanent: true)).ExcludeFromDescription();
        app.MapGet("/ui/{file}", (string file) => assets.ContainsKey(file) ? Asset(assets, file) : Results.NotFound()).ExcludeFromDescription();
        return app;
    }

    private static IResult Asset(Dictionary<string, string> assets, string name) =>
        Results.Text(assets[name], ContentTypes[name], Encoding.UTF8);

    private static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"The console asset {name} is not embedded in the Api assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
