using OrleansConnect.Silo.Hosting;
using OrleansConnect.Silo.Users;

// Usage: OrleansConnect.Silo [worker.properties] [connector.json|connector.properties ...]
//        OrleansConnect.Silo users add|remove|list --file <credentials file> ...
if (args is ["users", ..])
    return await UsersCommand.RunAsync(args[1..], Console.In, Console.Out, Console.Error, CancellationToken.None);

ConnectHostSettings settings;
try
{
    using var loggers = LoggerFactory.Create(logging => logging.AddConnectConsole());
    settings = await StartupValidator.ValidateAsync(args, loggers, CancellationToken.None);
}
catch (StartupException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.AddConnectWorker(settings);
var app = builder.Build();
app.MapConnectWorker();
return await SiloRunner.RunAsync(app);
