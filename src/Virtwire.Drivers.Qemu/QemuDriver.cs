using Virtwire.Rpc;

namespace Virtwire.Drivers.Qemu;

/// <summary>
/// Real virtual machines: serves <c>qemu:///system</c> (and <c>qemu:///session</c>, the same guests when the daemon
/// runs as one user) by running <c>qemu-system-x86_64</c> and controlling it over QMP.
/// Call <see cref="InitializeAsync"/> once at daemon start: it re-adopts running guests and autostarts domains.
/// </summary>
public sealed class QemuDriver : IVirtDriver, IAsyncDisposable
{
    private readonly QemuHost _host;
    private readonly Lazy<Task> _initialized;

    public QemuDriver(QemuDriverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _host = new QemuHost(options);
        _initialized = new Lazy<Task>(() => _host.InitializeAsync(CancellationToken.None));
    }

    public string Scheme => "qemu";

    /// <summary>Loads definitions, re-adopts guests left running by a previous daemon, starts autostart domains (once).</summary>
    public Task InitializeAsync(CancellationToken cancellationToken) => _initialized.Value.WaitAsync(cancellationToken);

    public async ValueTask<IDriverConnection> OpenAsync(Uri uri, bool readOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path is not ("/system" or "/session"))
        {
            throw DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Qemu,
                $"internal error: unexpected QEMU URI path '{uri.AbsolutePath}', try qemu:///system", "internal error: %s");
        }

        if (!string.IsNullOrEmpty(uri.Host))
        {
            throw DriverErrors.Create(VirtErrorCode.InternalError, VirtErrorDomain.Qemu,
                $"internal error: unexpected QEMU URI host '{uri.Host}'", "internal error: %s");
        }

        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return new QemuConnection(_host, "qemu://" + path, readOnly);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();
}
