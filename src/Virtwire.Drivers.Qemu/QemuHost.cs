using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Drivers.Qemu;

/// <summary>
/// The state of one QEMU driver, shared by all its connections: the domains, their processes and files, and the
/// event stream. Persistent definitions live in the config directory (one XML file each, replaced atomically); a
/// running domain's status lives in the state directory, so a restarted daemon re-adopts its running guests.
/// </summary>
internal sealed partial class QemuHost : IAsyncDisposable
{
    private readonly QemuDriverOptions _options;
    private readonly ILogger _logger;
    private readonly object _lock = new();
    private readonly Dictionary<string, QemuDomain> _domains = new(StringComparer.Ordinal);
    private readonly List<Action<DriverEvent>> _subscribers = [];
    private readonly Channel<DriverEvent> _events = Channel.CreateUnbounded<DriverEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _eventPump;
    private int _lastId;

    // Set once the daemon is stopping: monitors then close because we close them, not because a guest went away.
    private volatile bool _disposing;

    public QemuHost(QemuDriverOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory.CreateLogger("Virtwire.Drivers.Qemu");
        _eventPump = Task.Run(PumpEventsAsync);
    }

    public QemuDriverOptions Options => _options;

    public string AutostartDirectory => Path.Combine(_options.ConfigDirectory, "autostart");

    private string ConfigPath(string name) => Path.Combine(_options.ConfigDirectory, name + ".xml");

    private string AutostartPath(string name) => Path.Combine(AutostartDirectory, name + ".xml");

    /// <summary>Loads definitions, re-adopts running guests from their status files, then starts autostart domains.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_options.ConfigDirectory);
        Directory.CreateDirectory(_options.StateDirectory);
        Directory.CreateDirectory(_options.LogDirectory);
        foreach (var file in Directory.EnumerateFiles(_options.ConfigDirectory, "*.xml"))
        {
            try
            {
                var definition = QemuDomainDefinition.Parse(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false));
                var domain = new QemuDomain(definition, persistent: true) { Autostart = File.Exists(AutostartPath(definition.Name)) };
                lock (_lock)
                {
                    _domains[definition.Name] = domain;
                }
            }
            catch (Exception ex) when (ex is Virtwire.Rpc.RpcRemoteException or IOException)
            {
                Log.BadDefinition(_logger, file, ex.Message);
            }
        }

        foreach (var file in Directory.EnumerateFiles(_options.StateDirectory, "*.status"))
        {
            await AdoptAsync(file, cancellationToken).ConfigureAwait(false);
        }

        List<QemuDomain> autostart;
        lock (_lock)
        {
            autostart = _domains.Values.Where(d => d.Autostart && !d.Active).ToList();
        }

        foreach (var domain in autostart)
        {
            try
            {
                await StartAsync(domain, DomainCreateFlags.None, cancellationToken).ConfigureAwait(false);
            }
            catch (Virtwire.Rpc.RpcRemoteException ex)
            {
                Log.AutostartFailed(_logger, domain.Name, ex.Message);
            }
        }
    }

    /// <summary>Re-attaches to a guest whose QEMU outlived the previous daemon; cleans up after one that did not.</summary>
    private async Task AdoptAsync(string statusPath, CancellationToken cancellationToken)
    {
        QemuStatusFile? status;
        QemuDomainDefinition live;
        try
        {
            status = QemuStatusFile.Deserialize(await File.ReadAllTextAsync(statusPath, cancellationToken).ConfigureAwait(false));
            if (status is null)
            {
                throw new JsonException("empty status file");
            }

            live = QemuDomainDefinition.Parse(status.Xml);
        }
        catch (Exception ex) when (ex is JsonException or IOException or Virtwire.Rpc.RpcRemoteException)
        {
            Log.BadStatus(_logger, statusPath, ex.Message);
            NativeFiles.DeleteDurably(statusPath);
            return;
        }

        var paths = QemuPaths.For(_options, live.Name);
        QemuDomain domain;
        lock (_lock)
        {
            if (!_domains.TryGetValue(live.Name, out domain!))
            {
                domain = new QemuDomain(live, persistent: false);
                _domains[live.Name] = domain;
            }
        }

        var runtime = new QemuRuntime
        {
            Id = status.Id, Pid = status.Pid, Paths = paths, Ptys = status.Ptys, VncPort = status.VncPort, FakeReboot = status.FakeReboot,
        };
        if (NativeFiles.IsLiveProcess(status.Pid, "guest=" + live.Name + ","))
        {
            try
            {
                runtime.Monitor = await QmpClient.ConnectAsync(paths.Monitor, e => OnQmpEvent(domain, runtime, e), cancellationToken).ConfigureAwait(false);
                var state = await runtime.Monitor.ExecuteAsync("query-status", null, cancellationToken).ConfigureAwait(false);
                var running = state.TryGetProperty("running", out var r) && r.GetBoolean();

                // With -no-shutdown a guest that powered off while no daemon watched sits in QEMU's "shutdown" state
                // (its SHUTDOWN event went nowhere): finish what the event would have started, as libvirt does.
                var poweredOff = state.TryGetProperty("status", out var s) && s.GetString() == "shutdown";
                lock (_lock)
                {
                    domain.Live = live;
                    domain.Runtime = runtime;
                    if (poweredOff)
                    {
                        runtime.GotShutdown = true;
                        runtime.PausedShutdown = runtime.FakeReboot;
                        domain.State = runtime.FakeReboot ? DomainState.Running : DomainState.Shutdown;
                        domain.Reason = runtime.FakeReboot ? (int)DomainRunningReason.Unknown : (int)DomainShutdownReason.Unknown;
                    }
                    else
                    {
                        domain.State = running ? DomainState.Running : DomainState.Paused;
                        domain.Reason = running ? (int)DomainRunningReason.Unknown : (int)DomainPausedReason.Unknown;
                    }

                    _lastId = Math.Max(_lastId, status.Id);
                }

                _ = WatchAsync(domain, runtime);
                Log.Adopted(_logger, live.Name, status.Id, status.Pid);
                if (poweredOff)
                {
                    ShutdownOrReboot(domain, runtime, runtime.FakeReboot);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or SocketException or QmpException or JsonException)
            {
                Log.AdoptFailed(_logger, live.Name, ex.Message);
                if (runtime.Monitor is not null)
                {
                    await runtime.Monitor.DisposeAsync().ConfigureAwait(false);
                }

                NativeFiles.Signal(status.Pid, NativeFiles.SigKill);
            }
        }

        // The guest died while no daemon watched it.
        lock (_lock)
        {
            if (!domain.Persistent)
            {
                _domains.Remove(domain.Name);
            }
            else
            {
                domain.State = DomainState.Shutoff;
                domain.Reason = (int)DomainShutoffReason.Unknown;
            }
        }

        CleanupRuntimeFiles(paths);
    }

    // Events

    public IDisposable Subscribe(Action<DriverEvent> handler)
    {
        lock (_subscribers)
        {
            _subscribers.Add(handler);
        }

        return new Subscription(this, handler);
    }

    private void Raise(DriverEvent driverEvent) => _events.Writer.TryWrite(driverEvent);

    public void RaiseMetadataChange(QemuDomain domain, DomainMetadataType type, string? uri) =>
        Raise(new DomainMetadataChangeDriverEvent(domain.ToRef(), type, uri));

    private void RaiseLifecycle(QemuDomain domain, DomainLifecycleEvent kind, int detail) =>
        Raise(new DomainLifecycleDriverEvent(domain.ToRef(), kind, detail));

    private async Task PumpEventsAsync()
    {
        await foreach (var driverEvent in _events.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Action<DriverEvent>[] handlers;
            lock (_subscribers)
            {
                handlers = [.. _subscribers];
            }

            foreach (var handler in handlers)
            {
                try
                {
                    handler(driverEvent);
                }
                catch (Exception ex)
                {
                    Log.HandlerFailed(_logger, ex);
                }
            }
        }
    }

    private sealed class Subscription(QemuHost host, Action<DriverEvent> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (host._subscribers)
            {
                host._subscribers.Remove(handler);
            }
        }
    }

    // Lookups

    public IReadOnlyList<QemuDomain> Snapshot()
    {
        lock (_lock)
        {
            return [.. _domains.Values.OrderBy(d => d.Runtime?.Id ?? int.MaxValue).ThenBy(d => d.Name, StringComparer.Ordinal)];
        }
    }

    public QemuDomain Find(DomainRef domain)
    {
        lock (_lock)
        {
            if (_domains.TryGetValue(domain.Name, out var found) && found.Uuid == domain.Uuid)
            {
                return found;
            }

            var byUuid = _domains.Values.FirstOrDefault(d => d.Uuid == domain.Uuid);
            return byUuid ?? throw Errors.NoDomainUuid(domain.Uuid);
        }
    }

    public QemuDomain FindByName(string name)
    {
        lock (_lock)
        {
            return _domains.TryGetValue(name, out var found) ? found : throw Errors.NoDomainName(name);
        }
    }

    public QemuDomain FindByUuid(XdrUuid uuid)
    {
        lock (_lock)
        {
            return _domains.Values.FirstOrDefault(d => d.Uuid == uuid) ?? throw Errors.NoDomainUuid(uuid);
        }
    }

    public QemuDomain FindById(int id)
    {
        lock (_lock)
        {
            return _domains.Values.FirstOrDefault(d => d.Runtime?.Id == id) ?? throw Errors.NoDomainId(id);
        }
    }

    // Definitions

    /// <summary>Defines or redefines a persistent domain; the file is durable before the call returns.</summary>
    public async Task<QemuDomain> DefineAsync(string xml, CancellationToken cancellationToken)
    {
        var definition = QemuDomainDefinition.Parse(xml);
        QemuDomain? existing;
        lock (_lock)
        {
            existing = CheckConflicts(definition);
        }

        if (existing is not null)
        {
            await existing.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            NativeFiles.WriteAtomic(ConfigPath(definition.Name), definition.Format(null, inactive: true));
            QemuDomain domain;
            bool updated;
            lock (_lock)
            {
                if (_domains.TryGetValue(definition.Name, out var current))
                {
                    updated = true;
                    current.Definition = definition;
                    current.Persistent = true;
                    domain = current;
                }
                else
                {
                    updated = false;
                    domain = new QemuDomain(definition, persistent: true);
                    _domains[definition.Name] = domain;
                }
            }

            RaiseLifecycle(domain, DomainLifecycleEvent.Defined, (int)(updated ? DomainEventDefinedDetail.Updated : DomainEventDefinedDetail.Added));
            return domain;
        }
        finally
        {
            existing?.Job.Release();
        }
    }

    /// <summary>libvirt's rules for a new definition against the existing ones (same name must be same uuid and vice versa).</summary>
    private QemuDomain? CheckConflicts(QemuDomainDefinition definition)
    {
        if (_domains.TryGetValue(definition.Name, out var byName))
        {
            if (byName.Uuid != definition.Uuid)
            {
                throw Errors.Failed($"domain '{definition.Name}' is already defined with uuid {byName.Uuid}");
            }

            return byName;
        }

        var byUuid = _domains.Values.FirstOrDefault(d => d.Uuid == definition.Uuid);
        if (byUuid is not null)
        {
            throw Errors.Failed($"domain '{byUuid.Name}' already exists with uuid {definition.Uuid}");
        }

        return null;
    }

    public async Task UndefineAsync(QemuDomain domain, CancellationToken cancellationToken)
    {
        await domain.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!domain.Persistent)
            {
                throw Errors.Invalid("cannot undefine transient domain");
            }

            NativeFiles.DeleteDurably(AutostartPath(domain.Name));
            NativeFiles.DeleteDurably(ConfigPath(domain.Name));
            lock (_lock)
            {
                domain.Persistent = false;
                domain.Autostart = false;
                if (!domain.Active)
                {
                    _domains.Remove(domain.Name);
                }
            }

            RaiseLifecycle(domain, DomainLifecycleEvent.Undefined, (int)DomainEventUndefinedDetail.Removed);
        }
        finally
        {
            domain.Job.Release();
        }
    }

    public void SetAutostart(QemuDomain domain, bool autostart)
    {
        lock (_lock)
        {
            if (!domain.Persistent)
            {
                throw Errors.Invalid("cannot set autostart for transient domain");
            }

            if (domain.Autostart == autostart)
            {
                return;
            }

            if (autostart)
            {
                Directory.CreateDirectory(AutostartDirectory);
                var link = AutostartPath(domain.Name);
                NativeFiles.DeleteDurably(link);
                File.CreateSymbolicLink(link, ConfigPath(domain.Name));
                NativeFiles.SyncDirectory(AutostartDirectory);
            }
            else
            {
                NativeFiles.DeleteDurably(AutostartPath(domain.Name));
            }

            domain.Autostart = autostart;
        }
    }

    /// <summary>Replaces the persistent definition's file after an in-place change (memory, vcpus, metadata).</summary>
    public void SaveDefinition(QemuDomain domain, QemuDomainDefinition definition)
    {
        if (domain.Persistent)
        {
            NativeFiles.WriteAtomic(ConfigPath(definition.Name), definition.Format(null, inactive: true));
        }

        lock (_lock)
        {
            domain.Definition = definition;
        }
    }

    public void UpdateLive(QemuDomain domain, QemuDomainDefinition live)
    {
        lock (_lock)
        {
            domain.Live = live;
        }

        if (domain.Runtime is { } runtime)
        {
            WriteStatus(domain, runtime);
        }
    }

    // Lifecycle

    /// <summary>Creates and starts a transient domain (or starts an inactive persistent one with this definition as its live one).</summary>
    public async Task<QemuDomain> CreateAsync(string xml, DomainCreateFlags flags, CancellationToken cancellationToken)
    {
        var definition = QemuDomainDefinition.Parse(xml);
        QemuDomain domain;
        lock (_lock)
        {
            var existing = CheckConflicts(definition);
            if (existing is { Active: true })
            {
                throw Errors.Failed($"domain '{definition.Name}' is already active");
            }

            domain = existing ?? new QemuDomain(definition, persistent: false);
            _domains[definition.Name] = domain;
        }

        try
        {
            await StartAsync(domain, flags, cancellationToken, definition).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock)
            {
                if (!domain.Persistent && !domain.Active)
                {
                    _domains.Remove(domain.Name);
                }
            }

            throw;
        }

        return domain;
    }

    public async Task StartAsync(QemuDomain domain, DomainCreateFlags flags, CancellationToken cancellationToken, QemuDomainDefinition? definition = null)
    {
        await domain.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (domain.Active)
            {
                throw Errors.Invalid("domain is already running");
            }

            await LaunchAsync(domain, definition ?? domain.Definition, flags.HasFlag(DomainCreateFlags.Paused), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            domain.Job.Release();
        }
    }

    private async Task LaunchAsync(QemuDomain domain, QemuDomainDefinition definition, bool paused, CancellationToken cancellationToken)
    {
        var kvm = definition.Type == "kvm";
        if (kvm && !KvmUsable())
        {
            throw Errors.Unsupported("Domain requires KVM, but it is not available. Check that virtualization is enabled in the host BIOS, " +
                "and host configuration is setup to load the kvm modules.");
        }

        var emulator = definition.Emulator ?? _options.Emulator;
        if (!File.Exists(emulator))
        {
            throw DriverErrors.Create(Virtwire.Rpc.VirtErrorCode.SystemError, Virtwire.Rpc.VirtErrorDomain.Qemu,
                $"Cannot check QEMU binary {emulator}: No such file or directory", "%s");
        }

        Directory.CreateDirectory(_options.StateDirectory);
        Directory.CreateDirectory(_options.LogDirectory);
        var paths = QemuPaths.For(_options, definition.Name);
        CleanupRuntimeFiles(paths);
        var vncPort = definition.Graphics.Count == 0 ? -1 : definition.Graphics[0].AutoPort ? FreeVncPort(definition.Graphics[0].Listen) : definition.Graphics[0].Port;
        var args = QemuCommandLine.Build(definition, paths, kvm, Math.Max(0, vncPort - 5900));
        int id;
        lock (_lock)
        {
            id = ++_lastId;
        }

        var startInfo = new ProcessStartInfo(emulator)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        await File.AppendAllTextAsync(paths.Log,
            $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss.fff}+0000: starting up\n{emulator} {string.Join(' ', args.Select(QuoteForLog))}\n",
            cancellationToken).ConfigureAwait(false);

        // With -daemonize the launched process exits once the guest's QEMU is initialised (or failed); the guest's
        // process is not our child, so it outlives this daemon.
        string stderr;
        using (var launcher = Process.Start(startInfo) ?? throw Errors.Internal("cannot start " + emulator))
        {
            launcher.StandardInput.Close();
            var errorText = launcher.StandardError.ReadToEndAsync(cancellationToken);
            var outputText = launcher.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.StartTimeout);
            try
            {
                await launcher.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                launcher.Kill(entireProcessTree: true);
                throw Errors.Internal("QEMU did not finish starting in time");
            }

            stderr = string.Join('\n', new[] { (await errorText.ConfigureAwait(false)).Trim(), (await outputText.ConfigureAwait(false)).Trim() }
                .Where(text => text.Length > 0));
            if (stderr.Length > 0)
            {
                await File.AppendAllTextAsync(paths.Log, stderr + "\n", cancellationToken).ConfigureAwait(false);
            }

            if (launcher.ExitCode != 0)
            {
                CleanupRuntimeFiles(paths);
                throw Errors.Internal("process exited while connecting to monitor: " + (stderr.Length > 0 ? stderr : $"exit status {launcher.ExitCode}"));
            }
        }

        var pid = int.Parse((await File.ReadAllTextAsync(paths.Pid, cancellationToken).ConfigureAwait(false)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var runtime = new QemuRuntime { Id = id, Pid = pid, Paths = paths, VncPort = vncPort, Starting = true };
        try
        {
            runtime.Monitor = await QmpClient.ConnectAsync(paths.Monitor, e => OnQmpEvent(domain, runtime, e), cancellationToken).ConfigureAwait(false);
            runtime.Ptys = await QueryPtysAsync(runtime.Monitor, definition.Serials, cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                domain.Live = definition;
                domain.Runtime = runtime;
                domain.State = paused ? DomainState.Paused : DomainState.Running;
                domain.Reason = paused ? (int)DomainPausedReason.User : (int)DomainRunningReason.Booted;
            }

            WriteStatus(domain, runtime);
            _ = WatchAsync(domain, runtime);
            if (!paused)
            {
                await runtime.Monitor.ExecuteAsync("cont", null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or QmpException or JsonException or OperationCanceledException)
        {
            runtime.Destroying = true;
            NativeFiles.Signal(pid, NativeFiles.SigKill);
            if (runtime.Monitor is null)
            {
                CleanupRuntimeFiles(paths);
            }
            else
            {
                await runtime.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }

            throw Errors.Internal("QEMU failed to start: " + ex.Message);
        }
        finally
        {
            runtime.Starting = false;
        }

        RaiseLifecycle(domain, DomainLifecycleEvent.Started, (int)DomainEventStartedDetail.Booted);
        if (paused)
        {
            RaiseLifecycle(domain, DomainLifecycleEvent.Suspended, (int)DomainEventSuspendedDetail.Paused);
        }

        Log.Started(_logger, definition.Name, id, pid);
    }

    private static string QuoteForLog(string arg) => arg.Contains(' ', StringComparison.Ordinal) ? "'" + arg + "'" : arg;

    private static async Task<IReadOnlyList<string>> QueryPtysAsync(QmpClient monitor, int serials, CancellationToken cancellationToken)
    {
        if (serials == 0)
        {
            return [];
        }

        var chardevs = await monitor.ExecuteAsync("query-chardev", null, cancellationToken).ConfigureAwait(false);
        var ptys = new string[serials];
        foreach (var chardev in chardevs.EnumerateArray())
        {
            var label = chardev.GetProperty("label").GetString() ?? "";
            var filename = chardev.GetProperty("filename").GetString() ?? "";
            if (label.StartsWith("charserial", StringComparison.Ordinal) &&
                int.TryParse(label.AsSpan("charserial".Length), System.Globalization.CultureInfo.InvariantCulture, out var port) &&
                port < serials && filename.StartsWith("pty:", StringComparison.Ordinal))
            {
                ptys[port] = filename[4..];
            }
        }

        return ptys;
    }

    public bool KvmUsable()
    {
        try
        {
            using var kvm = new FileStream(_options.KvmDevice, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static int FreeVncPort(string listen)
    {
        var address = IPAddress.TryParse(listen, out var parsed) ? parsed : IPAddress.Loopback;
        for (var port = 5900; port < 65535; port++)
        {
            try
            {
                using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                probe.Bind(new IPEndPoint(address, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw Errors.Internal("Unable to find an unused port for VNC");
    }

    private void WriteStatus(QemuDomain domain, QemuRuntime runtime)
    {
        var status = new QemuStatusFile
        {
            Id = runtime.Id,
            Pid = runtime.Pid,
            Xml = domain.Current.Format(null, inactive: true),
            Ptys = runtime.Ptys,
            VncPort = runtime.VncPort,
            FakeReboot = runtime.FakeReboot,
        };
        NativeFiles.WriteAtomic(runtime.Paths.Status, QemuStatusFile.Serialize(status));
    }

    private static void CleanupRuntimeFiles(QemuPaths paths)
    {
        foreach (var file in new[] { paths.Status, paths.Monitor, paths.Pid })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Waits for the guest's QEMU to go away (its monitor closes) and records why.</summary>
    private async Task WatchAsync(QemuDomain domain, QemuRuntime runtime)
    {
        await runtime.Monitor!.Closed.ConfigureAwait(false);
        if (_disposing)
        {
            // The daemon closed the monitor on its way out; the guest runs on, and its status file is what the next
            // daemon re-adopts it from.
            return;
        }

        await runtime.Monitor.DisposeAsync().ConfigureAwait(false);
        runtime.Console?.Dispose();
        DomainShutoffReason reason;
        DomainEventStoppedDetail detail;
        if (runtime.Destroying)
        {
            (reason, detail) = (DomainShutoffReason.Destroyed, DomainEventStoppedDetail.Destroyed);
        }
        else if (runtime.GotShutdown)
        {
            (reason, detail) = (DomainShutoffReason.Shutdown, DomainEventStoppedDetail.Shutdown);
        }
        else
        {
            (reason, detail) = (DomainShutoffReason.Crashed, DomainEventStoppedDetail.Failed);
        }

        DomainRef reference;
        lock (_lock)
        {
            reference = domain.ToRef();
            domain.Runtime = null;
            domain.Live = null;
            domain.State = DomainState.Shutoff;
            domain.Reason = (int)reason;
            if (!domain.Persistent && _domains.TryGetValue(domain.Name, out var current) && ReferenceEquals(current, domain))
            {
                _domains.Remove(domain.Name);
            }
        }

        CleanupRuntimeFiles(runtime.Paths);
        try
        {
            File.AppendAllText(runtime.Paths.Log, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss.fff}+0000: shutting down, reason={reason.ToString().ToLowerInvariant()}\n");
        }
        catch (IOException)
        {
        }

        Raise(new DomainLifecycleDriverEvent(reference, DomainLifecycleEvent.Stopped, (int)detail));
        runtime.Stopped.TrySetResult();
        Log.Stopped(_logger, domain.Name, reason);
    }

    private void OnQmpEvent(QemuDomain domain, QemuRuntime runtime, QmpEvent qmpEvent)
    {
        switch (qmpEvent.Name)
        {
            case "STOP":
                lock (_lock)
                {
                    // After SHUTDOWN, -no-shutdown makes QEMU stop the CPUs: that is the guest powering off (or, with a
                    // reboot pending, a moment before the driver resets it), not a pause.
                    if (runtime.Starting || domain.Runtime != runtime || domain.State != DomainState.Running || runtime.GotShutdown || runtime.PausedShutdown)
                    {
                        return;
                    }

                    domain.State = DomainState.Paused;
                    domain.Reason = (int)DomainPausedReason.User;
                }

                RaiseLifecycle(domain, DomainLifecycleEvent.Suspended, (int)DomainEventSuspendedDetail.Paused);
                break;
            case "RESUME":
                lock (_lock)
                {
                    if (runtime.Starting || domain.Runtime != runtime || domain.State == DomainState.Running)
                    {
                        return;
                    }

                    domain.State = DomainState.Running;
                    domain.Reason = (int)DomainRunningReason.Unpaused;
                }

                RaiseLifecycle(domain, DomainLifecycleEvent.Resumed, (int)DomainEventResumedDetail.Unpaused);
                break;
            case "SHUTDOWN":
                OnShutdownEvent(domain, runtime, qmpEvent.Data);
                break;
            case "RESET":
                // Whoever reset the guest (it, the user, or the driver finishing a reboot), no reboot is pending now.
                lock (_lock)
                {
                    if (runtime.Starting || domain.Runtime != runtime)
                    {
                        return;
                    }
                }

                SetRebootPending(domain, runtime, false);
                Raise(new DomainRebootDriverEvent(domain.ToRef()));
                break;
        }
    }

    /// <summary>
    /// The guest powered off (or QEMU was told to quit). Without a pending reboot the domain is shutting down: say so,
    /// then end QEMU, which -no-shutdown keeps alive. With one, the power-off is a step of the reboot and nobody sees it.
    /// </summary>
    private void OnShutdownEvent(QemuDomain domain, QemuRuntime runtime, JsonElement data)
    {
        if (runtime.Destroying)
        {
            return;
        }

        bool reboot;
        lock (_lock)
        {
            // A repeat (our SIGTERM makes QEMU report a host-initiated SHUTDOWN too) or one racing adoption, which
            // learns of the power-off from query-status instead.
            if (domain.Runtime != runtime || domain.State == DomainState.Shutdown || runtime.PausedShutdown)
            {
                return;
            }

            runtime.GotShutdown = true;
            reboot = runtime.FakeReboot;
            if (reboot)
            {
                runtime.PausedShutdown = true;
            }
            else
            {
                domain.State = DomainState.Shutdown;
                domain.Reason = (int)DomainShutdownReason.Unknown;
            }
        }

        if (!reboot)
        {
            var detail = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("guest", out var guest)
                ? guest.GetBoolean() ? DomainEventShutdownDetail.Guest : DomainEventShutdownDetail.Host
                : DomainEventShutdownDetail.Finished;
            RaiseLifecycle(domain, DomainLifecycleEvent.Shutdown, (int)detail);
        }

        ShutdownOrReboot(domain, runtime, reboot);
    }

    /// <summary>After the guest powered off: reset and resume it when a reboot is pending, otherwise end QEMU.</summary>
    private void ShutdownOrReboot(QemuDomain domain, QemuRuntime runtime, bool reboot)
    {
        if (reboot)
        {
            // Not on the monitor's read loop: the commands' answers arrive there.
            _ = Task.Run(() => FakeRebootAsync(domain, runtime));
        }
        else
        {
            Log.PoweredOff(_logger, domain.Name);
            NativeFiles.Signal(runtime.Pid, NativeFiles.SigTerm);
        }
    }

    /// <summary>
    /// The second half of virDomainReboot: the guest has powered off and QEMU holds it stopped; reset the machine and
    /// start the CPUs, so the guest boots again in the same process. The domain reads "running" throughout; the reset's
    /// RESET event is the reboot event clients see. If this fails the guest is gone for good: kill QEMU.
    /// </summary>
    private async Task FakeRebootAsync(QemuDomain domain, QemuRuntime runtime)
    {
        var rebooted = false;
        await domain.Job.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (domain.Runtime != runtime || runtime.Destroying || _disposing)
            {
                return;
            }

            await runtime.Monitor!.ExecuteAsync("system_reset", null, CancellationToken.None).ConfigureAwait(false);
            await runtime.Monitor.ExecuteAsync("cont", null, CancellationToken.None).ConfigureAwait(false);
            lock (_lock)
            {
                // The domain never stopped reading "running", so QEMU's RESUME changes nothing: like libvirt's, the
                // state keeps its reason from before the reboot. An exit from now on is no longer a shutdown.
                runtime.GotShutdown = false;
            }

            rebooted = true;
            Log.Rebooted(_logger, domain.Name);
        }
        catch (Exception ex) when (ex is IOException or QmpException or ObjectDisposedException)
        {
            if (!_disposing)
            {
                Log.RebootFailed(_logger, domain.Name, ex.Message);
            }
        }
        finally
        {
            lock (_lock)
            {
                runtime.PausedShutdown = false;
                runtime.FakeReboot = false;
            }

            if (domain.Runtime == runtime && !_disposing)
            {
                WriteStatus(domain, runtime);
                if (!rebooted && !runtime.Destroying)
                {
                    // The guest did power off, so its end reads as a shutdown rather than a crash.
                    NativeFiles.Signal(runtime.Pid, NativeFiles.SigKill);
                }
            }

            domain.Job.Release();
        }
    }

    private QemuRuntime RequireRunning(QemuDomain domain)
    {
        lock (_lock)
        {
            return domain.Runtime ?? throw Errors.NotRunning();
        }
    }

    public async Task DestroyAsync(QemuDomain domain, bool graceful, CancellationToken cancellationToken)
    {
        var runtime = RequireRunning(domain);
        runtime.Destroying = true;
        NativeFiles.Signal(runtime.Pid, NativeFiles.SigTerm);
        try
        {
            await runtime.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(graceful ? 30 : 3), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!graceful)
        {
            NativeFiles.Signal(runtime.Pid, NativeFiles.SigKill);
            await runtime.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw Errors.Failed("failed to terminate process " + runtime.Pid + " with SIGTERM: Device or resource busy");
        }
    }

    /// <summary>Presses the power button; whatever reboot was pending is cancelled: the guest is to stay off.</summary>
    public Task ShutdownAsync(QemuDomain domain, CancellationToken cancellationToken) =>
        PowerButtonAsync(domain, reboot: false, cancellationToken);

    /// <summary>
    /// libvirt's graceful reboot: press the power button and, when the guest has powered off, reset and resume it
    /// (see <see cref="FakeRebootAsync"/>). A domain whose on_reboot is "destroy" is shut down instead.
    /// </summary>
    public Task RebootAsync(QemuDomain domain, CancellationToken cancellationToken) =>
        PowerButtonAsync(domain, reboot: domain.Current.OnReboot != "destroy", cancellationToken);

    private async Task PowerButtonAsync(QemuDomain domain, bool reboot, CancellationToken cancellationToken)
    {
        // Durable before the guest can act on the button, so that a daemon restarted meanwhile still knows the intent.
        SetRebootPending(domain, RequireRunning(domain), reboot);
        await MonitorCommandAsync(domain, "system_powerdown", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks a reboot pending or not, and writes the status file when that changed.</summary>
    private void SetRebootPending(QemuDomain domain, QemuRuntime runtime, bool pending)
    {
        bool changed;
        lock (_lock)
        {
            changed = runtime.FakeReboot != pending;
            runtime.FakeReboot = pending;
        }

        if (changed)
        {
            WriteStatus(domain, runtime);
        }
    }

    /// <summary>A hard reset (virDomainReset): no guest cooperation, and no reboot remains pending.</summary>
    public async Task ResetAsync(QemuDomain domain, CancellationToken cancellationToken)
    {
        var runtime = RequireRunning(domain);
        await MonitorCommandAsync(domain, "system_reset", null, cancellationToken).ConfigureAwait(false);
        SetRebootPending(domain, runtime, false);
    }

    public async Task SuspendAsync(QemuDomain domain, CancellationToken cancellationToken)
    {
        var runtime = RequireRunning(domain);
        if (domain.State == DomainState.Paused)
        {
            return;
        }

        await MonitorCommandAsync(domain, "stop", null, cancellationToken).ConfigureAwait(false);
        // QEMU's STOP event sets the state; the API returns once it has.
        await WaitForStateAsync(domain, runtime, DomainState.Paused, cancellationToken).ConfigureAwait(false);
    }

    public async Task ResumeAsync(QemuDomain domain, CancellationToken cancellationToken)
    {
        var runtime = RequireRunning(domain);
        if (domain.State != DomainState.Paused)
        {
            throw Errors.Invalid("domain is not paused");
        }

        await MonitorCommandAsync(domain, "cont", null, cancellationToken).ConfigureAwait(false);
        await WaitForStateAsync(domain, runtime, DomainState.Running, cancellationToken).ConfigureAwait(false);
    }

    public async Task SetBalloonAsync(QemuDomain domain, ulong memoryKiB, CancellationToken cancellationToken) =>
        await MonitorCommandAsync(domain, "balloon", new JsonObject { ["value"] = memoryKiB * 1024 }, cancellationToken).ConfigureAwait(false);

    /// <summary>QEMU acknowledges stop/cont before it emits STOP/RESUME; wait (briefly) for the event to land.</summary>
    private static async Task WaitForStateAsync(QemuDomain domain, QemuRuntime runtime, DomainState state, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (domain.State != state && domain.Runtime == runtime && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The balloon's current size in KiB (QMP query-balloon), or null when the guest has no balloon.</summary>
    public async Task<ulong?> QueryBalloonKiBAsync(QemuDomain domain, CancellationToken cancellationToken)
    {
        if (!domain.Current.Balloon)
        {
            return null;
        }

        var reply = await MonitorCommandAsync(domain, "query-balloon", null, cancellationToken).ConfigureAwait(false);
        return reply.TryGetProperty("actual", out var actual) && actual.TryGetUInt64(out var bytes) ? bytes / 1024 : null;
    }

    private async Task<JsonElement> MonitorCommandAsync(QemuDomain domain, string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var runtime = RequireRunning(domain);
        try
        {
            return await runtime.Monitor!.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpException ex)
        {
            throw Errors.Internal($"unable to execute QEMU command '{command}': {ex.Description}");
        }
        catch (IOException)
        {
            throw Errors.Failed("domain is no longer running");
        }
    }

    public PtyStream OpenConsole(QemuDomain domain, string? device, DomainConsoleFlags flags)
    {
        lock (_lock)
        {
            var runtime = domain.Runtime ?? throw Errors.NotRunning();
            var port = device switch
            {
                null => 0,
                _ when device.StartsWith("serial", StringComparison.Ordinal) && int.TryParse(device.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
                _ when device.StartsWith("console", StringComparison.Ordinal) && int.TryParse(device.AsSpan(7), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
                _ => -1,
            };
            if (port < 0 || port >= runtime.Ptys.Count || runtime.Ptys[port] is null)
            {
                throw Errors.Failed($"cannot find character device {device ?? "<null>"}");
            }

            if (port == 0 && runtime.Console is { IsClosed: false } holder)
            {
                if (!flags.HasFlag(DomainConsoleFlags.Force))
                {
                    throw Errors.Failed("Active console session exists for this domain");
                }

                holder.Dispose();
            }

            PtyStream console;
            try
            {
                console = PtyStream.Open(runtime.Ptys[port]);
            }
            catch (IOException ex)
            {
                throw Errors.Failed(ex.Message);
            }

            if (port == 0)
            {
                runtime.Console = console;
            }

            return console;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposing = true;
        _events.Writer.TryComplete();
        await _eventPump.ConfigureAwait(false);
        QemuRuntime[] runtimes;
        lock (_lock)
        {
            runtimes = _domains.Values.Select(d => d.Runtime).OfType<QemuRuntime>().ToArray();
        }

        // Guests keep running when the daemon stops (they are re-adopted at the next start); only the monitors close.
        foreach (var runtime in runtimes)
        {
            runtime.Console?.Dispose();
            if (runtime.Monitor is not null)
            {
                await runtime.Monitor.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Ignoring domain definition {File}: {Reason}")]
        public static partial void BadDefinition(ILogger logger, string file, string reason);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Discarding unreadable status file {File}: {Reason}")]
        public static partial void BadStatus(ILogger logger, string file, string reason);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Re-adopted running domain {Name} (id {Id}, pid {Pid})")]
        public static partial void Adopted(ILogger logger, string name, int id, int pid);

        [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Could not re-adopt domain {Name}: {Reason}")]
        public static partial void AdoptFailed(ILogger logger, string name, string reason);

        [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Autostart of domain {Name} failed: {Reason}")]
        public static partial void AutostartFailed(ILogger logger, string name, string reason);

        [LoggerMessage(EventId = 5006, Level = LogLevel.Information, Message = "Started domain {Name} (id {Id}, pid {Pid})")]
        public static partial void Started(ILogger logger, string name, int id, int pid);

        [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Domain {Name} stopped: {Reason}")]
        public static partial void Stopped(ILogger logger, string name, DomainShutoffReason reason);

        [LoggerMessage(EventId = 5008, Level = LogLevel.Error, Message = "An event handler failed")]
        public static partial void HandlerFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 5009, Level = LogLevel.Information, Message = "Domain {Name} powered off; terminating its QEMU")]
        public static partial void PoweredOff(ILogger logger, string name);

        [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Domain {Name} rebooted (reset and resumed after powering off)")]
        public static partial void Rebooted(ILogger logger, string name);

        [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Reboot of domain {Name} failed, killing it: {Reason}")]
        public static partial void RebootFailed(ILogger logger, string name, string reason);
    }
}
