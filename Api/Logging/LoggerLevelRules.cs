using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansConnect.Api.Logging;

/// <summary>Runs after every other configuration of <see cref="LoggerFilterOptions"/> (each time the options are
/// rebuilt: at startup, on a configuration reload, and when a level is set through the API) and appends the rules
/// that make the API's levels win.</summary>
internal sealed class LoggerLevelRules(LoggerLevelStore store) : IPostConfigureOptions<LoggerFilterOptions>
{
    public void PostConfigure(string? name, LoggerFilterOptions options)
    {
        if (name == Options.DefaultName)
            store.Apply(options);
    }
}
