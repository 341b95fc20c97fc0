using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Virtwire.Daemon;
using Virtwire.Drivers;
using Virtwire.Drivers.Qemu;
using Virtwire.Drivers.Test;
using Virtwire.Server;

// virtwired: a drop-in libvirtd. Same command line, same libvirtd.conf keys, the remote program on
// libvirt-sock / libvirt-sock-ro (and TCP with --listen), the test driver embedded.
var options = DaemonArguments.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine($"virtwired: {error}");
    Console.Error.WriteLine("Try 'virtwired --help' for more information.");
    return 1;
}

if (options.Help)
{
    Console.WriteLine(DaemonArguments.Usage);
    return 0;
}

if (options.Version)
{
    Console.WriteLine($"virtwired (Virtwire) {typeof(RemoteServer).Assembly.GetName().Version?.ToString(3)}");
    return 0;
}

using var loggerFactory = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o => o.SingleLine = true)
    .SetMinimumLevel(options.Verbose ? LogLevel.Debug : LogLevel.Warning));
var logger = loggerFactory.CreateLogger("virtwired");

DaemonSettings settings;
try
{
    var config = options.ConfigFile is null ? null : DaemonConfig.Parse(File.ReadAllText(options.ConfigFile), options.ConfigFile);
    settings = DaemonSettings.From(config, options.Listen, message => logger.LogWarning("{Message}", message));
}
catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"virtwired: cannot load configuration: {ex.Message}");
    return 1;
}

await using var qemu = new QemuDriver(settings.Qemu with { LoggerFactory = loggerFactory });
try
{
    // Re-adopt guests a previous daemon left running (even one killed with SIGKILL), then autostart.
    await qemu.InitializeAsync(CancellationToken.None);
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"virtwired: cannot initialise the QEMU driver: {ex.Message}");
    return 1;
}

var server = new RemoteServer([new TestDriver(), qemu], loggerFactory)
{
    MaxWorkers = settings.MaxWorkers,
    SaslCredentials = new Virtwire.Rpc.Sasl.ScramCredentialStore(settings.SaslDb),
    SaslAllowedUsernames = settings.SaslAllowedUsernameList,
};
await using var listeners = new Listeners(server, settings, loggerFactory);
try
{
    listeners.Start();
}
catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException or ConfigException)
{
    Console.Error.WriteLine($"virtwired: cannot listen: {ex.Message}");
    return 1;
}

if (options.PidFile is not null)
{
    // Written atomically: a reader never sees a half-written pid.
    var temp = options.PidFile + ".tmp";
    await File.WriteAllTextAsync(temp, Environment.ProcessId + "\n");
    File.Move(temp, options.PidFile, overwrite: true);
}

foreach (var uri in listeners.Uris)
{
    Console.WriteLine($"virtwired: listening on {uri}");
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

try
{
    if (options.TimeoutSeconds > 0)
    {
        // libvirtd's --timeout: exit once no client has been connected for that long.
        while (listeners.IdleMilliseconds < options.TimeoutSeconds * 1000L)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), stop.Token);
        }
    }
    else
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
}
catch (OperationCanceledException)
{
}

if (options.PidFile is not null)
{
    File.Delete(options.PidFile);
}

return 0;
