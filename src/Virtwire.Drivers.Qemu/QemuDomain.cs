using System.Text.Json;
using System.Text.Json.Serialization;
using Virtwire.Protocol;

namespace Virtwire.Drivers.Qemu;

/// <summary>A running domain's process: id, QEMU pid, monitor, serial ptys, VNC port, and how it is being stopped.</summary>
internal sealed class QemuRuntime
{
    public required int Id { get; init; }

    public required int Pid { get; init; }

    public required QemuPaths Paths { get; init; }

    public QmpClient? Monitor { get; set; }

    public IReadOnlyList<string> Ptys { get; set; } = [];

    public int VncPort { get; init; } = -1;

    /// <summary>Set before the driver kills the process, so its exit reads as "destroyed".</summary>
    public bool Destroying { get; set; }

    /// <summary>QEMU reported SHUTDOWN (the guest powered off): its exit reads as "shutdown", not a crash.</summary>
    public bool GotShutdown { get; set; }

    /// <summary>
    /// A reboot was asked for (virDomainReboot pressed the power button): when the guest powers off, the driver resets
    /// and resumes it instead of terminating QEMU. Kept in the status file so that a restarted daemon finishes it.
    /// </summary>
    public bool FakeReboot { get; set; }

    /// <summary>
    /// The guest powered off with a reboot pending: QEMU is stopped only until the driver resets and resumes it, so
    /// the STOP that follows SHUTDOWN is not a pause anyone should see.
    /// </summary>
    public bool PausedShutdown { get; set; }

    /// <summary>While the driver itself resumes the CPUs at start, QEMU's RESUME is not a user resume.</summary>
    public bool Starting { get; set; }

    /// <summary>Completes once the process is gone and the domain's state says so.</summary>
    public TaskCompletionSource Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The console session holding serial 0, if any.</summary>
    public PtyStream? Console { get; set; }
}

/// <summary>One domain the driver knows: its persistent and live definitions, state, and process when running.</summary>
internal sealed class QemuDomain(QemuDomainDefinition definition, bool persistent)
{
    /// <summary>The definition on disk, or the transient definition of a domain that has none.</summary>
    public QemuDomainDefinition Definition { get; set; } = definition;

    /// <summary>The definition the running process was started from (differs once the persistent one is redefined).</summary>
    public QemuDomainDefinition? Live { get; set; }

    public bool Persistent { get; set; } = persistent;

    public bool Autostart { get; set; }

    public DomainState State { get; set; } = DomainState.Shutoff;

    public int Reason { get; set; } = (int)DomainShutoffReason.Unknown;

    public QemuRuntime? Runtime { get; set; }

    /// <summary>One state-changing job at a time per domain (start, stop, define over a running domain).</summary>
    public SemaphoreSlim Job { get; } = new(1, 1);

    public string Name => Definition.Name;

    public Virtwire.Xdr.XdrUuid Uuid => Definition.Uuid;

    public bool Active => Runtime is not null;

    public QemuDomainDefinition Current => Live ?? Definition;

    public DomainRef ToRef() => new(Name, Uuid, Runtime?.Id ?? -1);
}

/// <summary>What survives a daemon restart about a running domain (the state directory's NAME.status, JSON).</summary>
internal sealed record QemuStatusFile
{
    public required int Id { get; init; }

    public required int Pid { get; init; }

    public required string Xml { get; init; }

    public IReadOnlyList<string> Ptys { get; init; } = [];

    public int VncPort { get; init; } = -1;

    /// <summary>A reboot was pending (absent in files written before fake reboots existed: none was).</summary>
    public bool FakeReboot { get; init; }

    public static string Serialize(QemuStatusFile status) => JsonSerializer.Serialize(status, QemuJsonContext.Default.QemuStatusFile);

    public static QemuStatusFile? Deserialize(string json) => JsonSerializer.Deserialize(json, QemuJsonContext.Default.QemuStatusFile);
}

[JsonSerializable(typeof(QemuStatusFile))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class QemuJsonContext : JsonSerializerContext;
