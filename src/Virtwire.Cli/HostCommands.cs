using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Cli;

/// <summary>virsh's host, network and pool commands.</summary>
internal static class HostCommands
{
    /// <summary>The libvirt release whose API and protocol virtwire speaks, reported where virsh reports its library.</summary>
    private const string LibraryVersion = "9.0.0";

    public static IEnumerable<Command> Create(CliSession s)
    {
        yield return Plain(s, "hostname", "print the hypervisor hostname", async (c, ct) => s.Out.Write(await c.GetHostnameAsync(ct) + "\n"));
        yield return Plain(s, "uri", "print the hypervisor canonical URI", (c, _) =>
        {
            s.Out.Write(c.Uri.Original + "\n");
            return Task.CompletedTask;
        });
        yield return Plain(s, "version", "show version", async (c, ct) =>
        {
            var type = await c.GetTypeAsync(ct);
            var hv = await c.GetVersionAsync(ct);
            if (s.Json)
            {
                s.WriteJson(new JsonObject { ["library"] = LibraryVersion, ["hypervisorType"] = type, ["hypervisor"] = Formatting.Version(hv) });
                return;
            }

            s.Out.Write($"Compiled against library: libvirt {LibraryVersion}\n");
            s.Out.Write($"Using library: libvirt {LibraryVersion}\n");
            s.Out.Write($"Using API: {type} {LibraryVersion}\n");
            s.Out.Write($"Running hypervisor: {type} {Formatting.Version(hv)}\n");
        });
        yield return Plain(s, "nodeinfo", "node information", async (c, ct) =>
        {
            var n = await c.GetNodeInfoAsync(ct);
            if (s.Json)
            {
                s.WriteJson(new JsonObject
                {
                    ["model"] = n.Model, ["cpus"] = n.Cpus, ["mhz"] = n.Mhz, ["sockets"] = n.Sockets, ["cores"] = n.Cores,
                    ["threads"] = n.Threads, ["nodes"] = n.Nodes, ["memoryKiB"] = n.MemoryKiB,
                });
                return;
            }

            var o = s.Out;
            o.Write(Formatting.Field("CPU model", n.Model, 20));
            o.Write(Formatting.Field("CPU(s)", n.Cpus.ToString(CultureInfo.InvariantCulture), 20));
            o.Write(Formatting.Field("CPU frequency", n.Mhz.ToString(CultureInfo.InvariantCulture) + " MHz", 20));
            o.Write(Formatting.Field("CPU socket(s)", n.Sockets.ToString(CultureInfo.InvariantCulture), 20));
            o.Write(Formatting.Field("Core(s) per socket", n.Cores.ToString(CultureInfo.InvariantCulture), 20));
            o.Write(Formatting.Field("Thread(s) per core", n.Threads.ToString(CultureInfo.InvariantCulture), 20));
            o.Write(Formatting.Field("NUMA cell(s)", n.Nodes.ToString(CultureInfo.InvariantCulture), 20));
            o.Write(Formatting.Field("Memory size", n.MemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB", 20));
        });
        yield return NetList(s);
        yield return NetInfo(s);
        yield return PoolList(s);
        yield return PoolInfo(s);
    }

    private static Command Plain(CliSession s, string name, string description, Func<VirtConnection, CancellationToken, Task> body)
    {
        var command = new Command(name, description);
        command.SetAction(async (r, ct) =>
        {
            await body(await s.ConnectAsync(ct), ct);
            return 0;
        });
        return command;
    }

    private static ListNetworksFlags Which(ParseResult r, Option<bool> all, Option<bool> inactive) =>
        r.GetValue(all) ? ListNetworksFlags.None : r.GetValue(inactive) ? ListNetworksFlags.Inactive : ListNetworksFlags.Active;

    private static Command NetList(CliSession s)
    {
        var all = new Option<bool>("--all") { Description = "list inactive & active networks" };
        var inactive = new Option<bool>("--inactive") { Description = "list inactive networks" };
        var command = new Command("net-list", "list networks") { all, inactive };
        command.SetAction(async (r, ct) =>
        {
            var c = await s.ConnectAsync(ct);
            var rows = new List<string[]>();
            var json = new JsonArray();
            foreach (var n in (await c.ListAllNetworksAsync(Which(r, all, inactive), ct)).OrderBy(n => n.Name, StringComparer.Ordinal))
            {
                var active = await n.IsActiveAsync(ct);
                var autostart = await n.GetAutostartAsync(ct);
                var persistent = await n.IsPersistentAsync(ct);
                rows.Add([n.Name, active ? "active" : "inactive", Formatting.YesNo(autostart), Formatting.YesNo(persistent)]);
                json.Add(new JsonObject { ["name"] = n.Name, ["active"] = active, ["autostart"] = autostart, ["persistent"] = persistent });
            }

            if (s.Json)
            {
                s.WriteJson(json);
            }
            else
            {
                s.Out.Write(Formatting.Table(["Name", "State", "Autostart", "Persistent"], rows));
            }

            return 0;
        });
        return command;
    }

    private static Command NetInfo(CliSession s)
    {
        var network = new Argument<string>("network") { Description = "network name or uuid" };
        var command = new Command("net-info", "network information") { network };
        command.SetAction(async (r, ct) =>
        {
            var c = await s.ConnectAsync(ct);
            var name = r.GetValue(network)!;
            VirtNetwork n;
            try
            {
                n = Virtwire.Xdr.XdrUuid.TryParse(name, out var uuid) && name.Length == 36
                    ? await c.LookupNetworkByUuidAsync(uuid, ct)
                    : await c.LookupNetworkByNameAsync(name, ct);
            }
            catch (VirtException ex) when (ex.Code == Virtwire.Rpc.VirtErrorCode.NoNetwork)
            {
                throw new CliException($"failed to get network '{name}'", ex.Message);
            }

            var o = s.Out;
            o.Write(Formatting.Field("Name", n.Name));
            o.Write(Formatting.Field("UUID", n.Uuid.ToString()));
            o.Write(Formatting.Field("Active", Formatting.YesNo(await n.IsActiveAsync(ct))));
            o.Write(Formatting.Field("Persistent", Formatting.YesNo(await n.IsPersistentAsync(ct))));
            o.Write(Formatting.Field("Autostart", Formatting.YesNo(await n.GetAutostartAsync(ct))));
            o.Write(Formatting.Field("Bridge", await n.GetBridgeNameAsync(ct)));
            return 0;
        });
        return command;
    }

    private static Command PoolList(CliSession s)
    {
        var all = new Option<bool>("--all") { Description = "list inactive & active pools" };
        var inactive = new Option<bool>("--inactive") { Description = "list inactive pools" };
        var command = new Command("pool-list", "list pools") { all, inactive };
        command.SetAction(async (r, ct) =>
        {
            var c = await s.ConnectAsync(ct);
            var flags = r.GetValue(all) ? ListStoragePoolsFlags.None : r.GetValue(inactive) ? ListStoragePoolsFlags.Inactive : ListStoragePoolsFlags.Active;
            var rows = new List<string[]>();
            var json = new JsonArray();
            foreach (var p in (await c.ListAllStoragePoolsAsync(flags, ct)).OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                var info = await p.GetInfoAsync(ct);
                var autostart = await p.GetAutostartAsync(ct);
                var state = info.State == StoragePoolState.Running ? "active" : "inactive";
                rows.Add([p.Name, state, Formatting.YesNo(autostart)]);
                json.Add(new JsonObject { ["name"] = p.Name, ["state"] = state, ["autostart"] = autostart });
            }

            if (s.Json)
            {
                s.WriteJson(json);
            }
            else
            {
                s.Out.Write(Formatting.Table(["Name", "State", "Autostart"], rows));
            }

            return 0;
        });
        return command;
    }

    private static Command PoolInfo(CliSession s)
    {
        var pool = new Argument<string>("pool") { Description = "pool name or uuid" };
        var command = new Command("pool-info", "storage pool information") { pool };
        command.SetAction(async (r, ct) =>
        {
            var c = await s.ConnectAsync(ct);
            var name = r.GetValue(pool)!;
            VirtStoragePool p;
            try
            {
                p = Virtwire.Xdr.XdrUuid.TryParse(name, out var uuid) && name.Length == 36
                    ? await c.LookupStoragePoolByUuidAsync(uuid, ct)
                    : await c.LookupStoragePoolByNameAsync(name, ct);
            }
            catch (VirtException ex) when (ex.Code == Virtwire.Rpc.VirtErrorCode.NoStoragePool)
            {
                throw new CliException($"failed to get pool '{name}'", ex.Message);
            }

            var info = await p.GetInfoAsync(ct);
            var o = s.Out;
            o.Write(Formatting.Field("Name", p.Name));
            o.Write(Formatting.Field("UUID", p.Uuid.ToString()));
            o.Write(Formatting.Field("State", Formatting.PoolState(info.State)));
            o.Write(Formatting.Field("Persistent", Formatting.YesNo(await p.IsPersistentAsync(ct))));
            o.Write(Formatting.Field("Autostart", Formatting.YesNo(await p.GetAutostartAsync(ct))));
            if (info.State is StoragePoolState.Running or StoragePoolState.Degraded)
            {
                o.Write(Formatting.Field("Capacity", Formatting.Size(info.Capacity)));
                o.Write(Formatting.Field("Allocation", Formatting.Size(info.Allocation)));
                o.Write(Formatting.Field("Available", Formatting.Size(info.Available)));
            }

            return 0;
        });
        return command;
    }
}
