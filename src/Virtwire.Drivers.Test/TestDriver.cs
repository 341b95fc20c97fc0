using System.Reflection;
using Virtwire.Rpc;

namespace Virtwire.Drivers.Test;

/// <summary>
/// libvirt's test driver in managed code: an in-memory hypervisor. <c>test:///default</c> state is shared
/// by all open connections and reset when the last one closes; <c>test:///ABSOLUTE/PATH.xml</c> loads a
/// node description private to its connection.
/// </summary>
public sealed class TestDriver : IVirtDriver
{
    private readonly object _gate = new();
    private TestState? _default;
    private int _defaultUsers;

    public string Scheme => "test";

    internal static string Capabilities { get; } = Resource("capabilities.xml");

    internal static string Sysinfo { get; } = Resource("sysinfo.xml");

    public ValueTask<IDriverConnection> OpenAsync(Uri uri, bool readOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var path = uri.AbsolutePath;
        if (path is "/default" or "/default/")
        {
            lock (_gate)
            {
                _default ??= TestNodeFile.LoadDefault();
                _defaultUsers++;
                return ValueTask.FromResult<IDriverConnection>(new TestConnection(this, _default, "test:///default"));
            }
        }

        if (path is "" or "/")
        {
            throw DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
                "invalid argument: testOpen: supply a path or use test:///default", "invalid argument: %s", "testOpen: supply a path or use test:///default");
        }

        if (!path.StartsWith('/'))
        {
            throw DriverErrors.Create(VirtErrorCode.InvalidArg, VirtErrorDomain.Test,
                "invalid argument: testOpen: supplied path must be absolute", "invalid argument: %s", "testOpen: supplied path must be absolute");
        }

        var state = TestNodeFile.Load(path);
        return ValueTask.FromResult<IDriverConnection>(new TestConnection(this, state, "test://" + path));
    }

    internal void Release(TestState state)
    {
        lock (_gate)
        {
            if (ReferenceEquals(state, _default) && --_defaultUsers == 0)
            {
                // libvirt frees the default state with its last connection: the next one starts afresh.
                _default = null;
            }
        }
    }

    private static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException("missing resource " + name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
