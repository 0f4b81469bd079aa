using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using OrleansConnect.Api.Security;

namespace OrleansConnect.Tests.Security;

/// <summary>The failed-login counter (meter OrleansConnect, orleansconnect.rest.auth.failures, tag reason), read with a
/// MeterListener from an in-process Kestrel app that uses the same middleware as the silo, over real loopback HTTP.</summary>
public sealed class AuthFailureMetricsTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "oc-authmetrics-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ConcurrentDictionary<string, long> _failures = new();
    private readonly MeterListener _listener = new();
    private WebApplication? _app;
    private Uri? _base;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "users");
        await CredentialsFile.WriteAsync(file, [new RestUser("vic", RestRole.Viewer, PasswordHash.Create("vic-password", PasswordHash.MinimumIterations))],
            CancellationToken.None);

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == RestAuthMetrics.MeterName && instrument.Name == RestAuthMetrics.FailuresInstrument)
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "reason") _failures.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
        });
        _listener.Start();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddConnectApiBasicAuth(await CredentialsStore.OpenAsync(file, CancellationToken.None));
        _app = builder.Build();
        _app.UseConnectApiAuthentication();
        _app.MapGet("/data", () => "data");
        _app.MapPut("/data", () => "written");
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First() + "/");
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private async Task<HttpStatusCode> SendAsync(HttpMethod method, string? credentials)
    {
        using var client = new HttpClient { BaseAddress = _base };
        using var request = new HttpRequestMessage(method, "data");
        if (credentials is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Each_refusal_is_counted_with_its_reason()
    {
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "vic:vic-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, "vic:wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, "nobody:vic-password"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendAsync(HttpMethod.Get, "no-colon"));
        Assert.Equal(HttpStatusCode.Forbidden, await SendAsync(HttpMethod.Put, "vic:vic-password"));
        // The same good credentials again: served from the verified cache, still counted as nothing.
        Assert.Equal(HttpStatusCode.OK, await SendAsync(HttpMethod.Get, "vic:vic-password"));

        _listener.RecordObservableInstruments();
        foreach (var reason in new[] { "missing", "wrong_password", "unknown_user", "malformed", "forbidden" })
            Assert.True(_failures.TryGetValue(reason, out var count) && count == 1, $"{reason}: {string.Join(", ", _failures)}");
        Assert.Equal(5, _failures.Values.Sum());
    }
}
