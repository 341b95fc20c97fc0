using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Cli;

/// <summary>virsh's domain commands, with virsh's exact output.</summary>
internal static class DomainCommands
{
    private static Argument<string> DomainArg() => new("domain") { Description = "domain name, id or uuid" };

    public static IEnumerable<Command> Create(CliSession s)
    {
        yield return List(s);
        yield return DomInfo(s);
        yield return DomState(s);
        yield return Simple(s, "domid", "convert a domain name or UUID to domain id", d =>
            s.Out.Write((d.Id < 0 ? "-" : d.Id.ToString(CultureInfo.InvariantCulture)) + "\n"));
        yield return Simple(s, "domuuid", "convert a domain name or id to domain UUID", d => s.Out.Write(d.Uuid + "\n"));
        yield return Simple(s, "domname", "convert a domain id or UUID to domain name", d => s.Out.Write(d.Name + "\n"));
        yield return Action(s, "start", "start a (previously defined) inactive domain", "Failed to start domain '{0}'", "Domain '{0}' started",
            async (d, ct) =>
            {
                if (d.Id >= 0)
                {
                    throw new CliException("Domain is already active");
                }

                await d.StartAsync(cancellationToken: ct);
            }, allowId: false);
        yield return Action(s, "destroy", "destroy (stop) a domain", "Failed to destroy domain '{0}'", "Domain '{0}' destroyed", (d, ct) => d.DestroyAsync(cancellationToken: ct));
        yield return Action(s, "shutdown", "gracefully shutdown a domain", "Failed to shutdown domain '{0}'", "Domain '{0}' is being shutdown", (d, ct) => d.ShutdownAsync(ct));
        yield return Action(s, "reboot", "reboot a domain", "Failed to reboot domain '{0}'", "Domain '{0}' is being rebooted", (d, ct) => d.RebootAsync(ct));
        yield return Action(s, "suspend", "suspend a domain", "Failed to suspend domain '{0}'", "Domain '{0}' suspended", (d, ct) => d.SuspendAsync(ct));
        yield return Action(s, "resume", "resume a domain", "Failed to resume domain '{0}'", "Domain '{0}' resumed", (d, ct) => d.ResumeAsync(ct));
        yield return Action(s, "undefine", "undefine a domain", "Failed to undefine domain '{0}'", "Domain '{0}' has been undefined",
            (d, ct) => d.UndefineAsync(cancellationToken: ct));
        yield return Define(s);
        yield return DumpXml(s);
        yield return Autostart(s);
        yield return SetMem(s);
        yield return DomStats(s);
        yield return ConsoleCommand.Create(s);
        yield return DomMemStat(s);
    }

    // virsh's names for the memory statistic tags, printed "name value" one per line.
    private static readonly string[] MemoryStatNames =
    [
        "swap_in", "swap_out", "major_fault", "minor_fault", "unused", "available", "actual", "rss", "usable", "last_update",
        "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail",
    ];

    private static Command DomMemStat(CliSession s)
    {
        var domain = DomainArg();
        var command = new Command("dommemstat", "get memory statistics for a domain") { domain };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            IReadOnlyList<(DomainMemoryStatTag Tag, ulong Value)> stats;
            try
            {
                stats = await d.GetMemoryStatsAsync(ct);
            }
            catch (VirtException ex)
            {
                throw new CliException($"Failed to get memory statistics for domain {d.Name}", ex.Message);
            }

            if (s.Json)
            {
                var json = new JsonObject();
                foreach (var (tag, value) in stats)
                {
                    json[Name(tag)] = value;
                }

                s.WriteJson(json);
                return 0;
            }

            foreach (var (tag, value) in stats)
            {
                s.Out.Write($"{Name(tag)} {value.ToString(CultureInfo.InvariantCulture)}\n");
            }

            return 0;
        });
        return command;

        static string Name(DomainMemoryStatTag tag) => (int)tag >= 0 && (int)tag < MemoryStatNames.Length ? MemoryStatNames[(int)tag] : ((int)tag).ToString(CultureInfo.InvariantCulture);
    }

    private static Command Simple(CliSession s, string name, string description, Action<VirtDomain> body)
    {
        var domain = DomainArg();
        var command = new Command(name, description) { domain };
        command.SetAction(async (r, ct) =>
        {
            body(await s.DomainAsync(r.GetValue(domain)!, ct));
            return 0;
        });
        return command;
    }

    /// <summary>A state change: on success virsh's message, on failure "Failed to … domain 'x'" and the error.</summary>
    private static Command Action(CliSession s, string name, string description, string failed, string done, Func<VirtDomain, CancellationToken, ValueTask> body,
        bool allowId = true)
    {
        var domain = DomainArg();
        var command = new Command(name, description) { domain };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct, allowId);
            try
            {
                await body(d, ct);
            }
            catch (VirtException ex)
            {
                throw new CliException(string.Format(CultureInfo.InvariantCulture, failed, d.Name), ex.Message);
            }

            s.Out.Write(string.Format(CultureInfo.InvariantCulture, done, d.Name) + "\n");
            return 0;
        });
        return command;
    }

    private static Command List(CliSession s)
    {
        var all = new Option<bool>("--all") { Description = "list inactive & active domains" };
        var inactive = new Option<bool>("--inactive") { Description = "list inactive domains" };
        var names = new Option<bool>("--name") { Description = "list domain names only" };
        var uuids = new Option<bool>("--uuid") { Description = "list uuid's only" };
        (Option<bool> Option, ListDomainsFlags Flag)[] filters =
        [
            (new Option<bool>("--state-running"), ListDomainsFlags.Running),
            (new Option<bool>("--state-paused"), ListDomainsFlags.Paused),
            (new Option<bool>("--state-shutoff"), ListDomainsFlags.Shutoff),
            (new Option<bool>("--state-other"), ListDomainsFlags.Other),
            (new Option<bool>("--persistent"), ListDomainsFlags.Persistent),
            (new Option<bool>("--transient"), ListDomainsFlags.Transient),
            (new Option<bool>("--autostart"), ListDomainsFlags.Autostart),
            (new Option<bool>("--no-autostart"), ListDomainsFlags.NoAutostart),
            (new Option<bool>("--with-managed-save"), ListDomainsFlags.ManagedSave),
            (new Option<bool>("--without-managed-save"), ListDomainsFlags.NoManagedSave),
            (new Option<bool>("--with-snapshot"), ListDomainsFlags.HasSnapshot),
            (new Option<bool>("--without-snapshot"), ListDomainsFlags.NoSnapshot),
        ];
        var command = new Command("list", "list domains") { all, inactive, names, uuids };
        foreach (var (option, _) in filters)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (r, ct) =>
        {
            var flags = filters.Where(f => r.GetValue(f.Option)).Aggregate(ListDomainsFlags.None, (a, f) => a | f.Flag);
            if (r.GetValue(all))
            {
                flags |= ListDomainsFlags.Active | ListDomainsFlags.Inactive;
            }
            else if (r.GetValue(inactive))
            {
                flags |= ListDomainsFlags.Inactive;
            }
            else
            {
                flags |= ListDomainsFlags.Active;
            }

            var connection = await s.ConnectAsync(ct);
            var domains = (await connection.ListAllDomainsAsync(flags, ct))
                .OrderBy(d => d.Id < 0 ? 1 : 0).ThenBy(d => d.Id < 0 ? 0 : d.Id).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();
            if (r.GetValue(names) || r.GetValue(uuids))
            {
                foreach (var d in domains)
                {
                    s.Out.Write((r.GetValue(uuids) ? d.Uuid.ToString() : d.Name) + "\n");
                }

                return 0;
            }

            var rows = new List<string[]>();
            var json = new JsonArray();
            foreach (var d in domains)
            {
                var (state, _) = await d.GetStateAsync(ct);
                rows.Add([d.Id < 0 ? "-" : d.Id.ToString(CultureInfo.InvariantCulture), d.Name, Formatting.State(state)]);
                json.Add(new JsonObject { ["id"] = d.Id, ["name"] = d.Name, ["uuid"] = d.Uuid.ToString(), ["state"] = Formatting.State(state) });
            }

            if (s.Json)
            {
                s.WriteJson(json);
            }
            else
            {
                s.Out.Write(Formatting.Table(["Id", "Name", "State"], rows));
            }

            return 0;
        });
        return command;
    }

    private static Command DomInfo(CliSession s)
    {
        var domain = DomainArg();
        var command = new Command("dominfo", "domain information") { domain };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            var connection = d.Connection;
            var os = await d.GetOsTypeAsync(ct);
            var info = await d.GetInfoAsync(ct);
            var persistent = await d.IsPersistentAsync(ct);
            var autostart = await d.GetAutostartAsync(ct);
            var managedSave = await d.HasManagedSaveImageAsync(ct);
            var (model, doi) = await connection.GetSecurityModelAsync(ct);
            var label = model.Length > 0 ? await d.GetSecurityLabelAsync(ct) : (string.Empty, false);
            if (s.Json)
            {
                s.WriteJson(new JsonObject
                {
                    ["id"] = d.Id, ["name"] = d.Name, ["uuid"] = d.Uuid.ToString(), ["osType"] = os, ["state"] = Formatting.State(info.State),
                    ["cpus"] = info.VirtCpus, ["cpuTimeNs"] = info.CpuTimeNs, ["maxMemoryKiB"] = info.MaxMemoryKiB, ["memoryKiB"] = info.MemoryKiB,
                    ["persistent"] = persistent, ["autostart"] = autostart, ["managedSave"] = managedSave, ["securityModel"] = model,
                    ["securityDoi"] = doi, ["securityLabel"] = label.Item1, ["enforcing"] = label.Item2,
                });
                return 0;
            }

            var o = s.Out;
            o.Write(Formatting.Field("Id", d.Id < 0 ? "-" : d.Id.ToString(CultureInfo.InvariantCulture)));
            o.Write(Formatting.Field("Name", d.Name));
            o.Write(Formatting.Field("UUID", d.Uuid.ToString()));
            o.Write(Formatting.Field("OS Type", os));
            o.Write(Formatting.Field("State", Formatting.State(info.State)));
            o.Write(Formatting.Field("CPU(s)", info.VirtCpus.ToString(CultureInfo.InvariantCulture)));
            if (info.CpuTimeNs != 0)
            {
                o.Write(Formatting.Field("CPU time", (info.CpuTimeNs / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + "s"));
            }

            o.Write(Formatting.Field("Max memory", info.MaxMemoryKiB == ulong.MaxValue ? "no limit" : info.MaxMemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB"));
            o.Write(Formatting.Field("Used memory", info.MemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB"));
            o.Write(Formatting.Field("Persistent", Formatting.YesNo(persistent)));
            o.Write(Formatting.Field("Autostart", autostart ? "enable" : "disable"));
            o.Write(Formatting.Field("Managed save", Formatting.YesNo(managedSave)));
            o.Write(Formatting.Field("Security model", model));
            o.Write(Formatting.Field("Security DOI", doi));
            if (label.Item1.Length > 0)
            {
                o.Write(Formatting.Field("Security label", $"{label.Item1} ({(label.Item2 ? "enforcing" : "permissive")})"));
            }

            return 0;
        });
        return command;
    }

    private static Command DomState(CliSession s)
    {
        var domain = DomainArg();
        var reason = new Option<bool>("--reason") { Description = "also print reason for the state" };
        var command = new Command("domstate", "domain state") { domain, reason };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            var (state, why) = await d.GetStateAsync(ct);
            if (s.Json)
            {
                s.WriteJson(new JsonObject { ["state"] = Formatting.State(state), ["reason"] = Formatting.Reason(state, why) });
            }
            else
            {
                s.Out.Write(Formatting.State(state) + (r.GetValue(reason) ? $" ({Formatting.Reason(state, why)})" : string.Empty) + "\n");
            }

            return 0;
        });
        return command;
    }

    private static Command Define(CliSession s)
    {
        var file = new Argument<string>("file") { Description = "file containing an XML domain description" };
        var command = new Command("define", "define (but don't start) a domain from an XML file") { file };
        command.SetAction(async (r, ct) =>
        {
            var path = r.GetValue(file)!;
            string xml;
            try
            {
                xml = await File.ReadAllTextAsync(path, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"Failed to read file '{path}' to define domain", ex.Message);
            }

            var connection = await s.ConnectAsync(ct);
            try
            {
                var d = await connection.DefineDomainAsync(xml, cancellationToken: ct);
                s.Out.Write($"Domain '{d.Name}' defined from {path}\n");
            }
            catch (VirtException ex)
            {
                throw new CliException($"Failed to define domain from {path}", ex.Message);
            }

            return 0;
        });
        return command;
    }

    private static Command DumpXml(CliSession s)
    {
        var domain = DomainArg();
        var inactive = new Option<bool>("--inactive") { Description = "show inactive defined XML" };
        var security = new Option<bool>("--security-info") { Description = "include security sensitive information in XML dump" };
        var command = new Command("dumpxml", "domain information in XML") { domain, inactive, security };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            var flags = (r.GetValue(inactive) ? DomainXmlFlags.Inactive : 0) | (r.GetValue(security) ? DomainXmlFlags.Secure : 0);
            s.Out.Write(await d.GetXmlDescAsync(flags, ct));
            return 0;
        });
        return command;
    }

    private static Command Autostart(CliSession s)
    {
        var domain = DomainArg();
        var disable = new Option<bool>("--disable") { Description = "disable autostarting" };
        var command = new Command("autostart", "autostart a domain") { domain, disable };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            var off = r.GetValue(disable);
            try
            {
                await d.SetAutostartAsync(!off, ct);
            }
            catch (VirtException ex)
            {
                throw new CliException(off ? $"Failed to unmark domain '{d.Name}' as autostarted" : $"Failed to mark domain '{d.Name}' as autostarted", ex.Message);
            }

            s.Out.Write(off ? $"Domain '{d.Name}' unmarked as autostarted\n" : $"Domain '{d.Name}' marked as autostarted\n");
            return 0;
        });
        return command;
    }

    private static Command SetMem(CliSession s)
    {
        var domain = DomainArg();
        var size = new Argument<string>("size") { Description = "new memory size, as scaled integer (default KiB)" };
        var command = new Command("setmem", "change memory allocation") { domain, size };
        foreach (var flag in new[] { "--config", "--live", "--current" })
        {
            command.Options.Add(new Option<bool>(flag));
        }

        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            var kib = ParseScaled(r.GetValue(size)!);
            try
            {
                await d.SetMemoryAsync(kib, ct);
            }
            catch (VirtException ex)
            {
                throw new CliException(ex.Message);
            }

            return 0;
        });
        return command;
    }

    /// <summary>virsh's scaled integers: a number with an optional unit suffix, KiB by default.</summary>
    internal static ulong ParseScaled(string text)
    {
        var digits = new string(text.TakeWhile(char.IsAsciiDigit).ToArray());
        var suffix = text[digits.Length..].ToLowerInvariant();
        if (digits.Length == 0 || !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new CliException($"Numeric value '{text}' for <size> option is malformed or out of range");
        }

        ulong bytes = suffix switch
        {
            "" or "k" or "kib" => value * 1024,
            "b" => value,
            "kb" => value * 1000,
            "m" or "mib" => value * 1024 * 1024,
            "mb" => value * 1000 * 1000,
            "g" or "gib" => value * 1024 * 1024 * 1024,
            "gb" => value * 1000 * 1000 * 1000,
            _ => throw new CliException($"Numeric value '{text}' for <size> option is malformed or out of range"),
        };
        return bytes / 1024;
    }

    private static Command DomStats(CliSession s)
    {
        var domains = new Argument<string[]>("domain") { Arity = ArgumentArity.ZeroOrMore, Description = "list of domains to get stats for" };
        var groups = new (Option<bool> Option, DomainStatsTypes Type)[]
        {
            (new Option<bool>("--state"), DomainStatsTypes.State), (new Option<bool>("--cpu-total"), DomainStatsTypes.CpuTotal),
            (new Option<bool>("--balloon"), DomainStatsTypes.Balloon), (new Option<bool>("--vcpu"), DomainStatsTypes.Vcpu),
            (new Option<bool>("--interface"), DomainStatsTypes.Interface), (new Option<bool>("--block"), DomainStatsTypes.Block),
        };
        var filters = new (Option<bool> Option, GetAllDomainStatsFlags Flag)[]
        {
            (new Option<bool>("--list-active"), GetAllDomainStatsFlags.Active), (new Option<bool>("--list-inactive"), GetAllDomainStatsFlags.Inactive),
            (new Option<bool>("--list-persistent"), GetAllDomainStatsFlags.Persistent), (new Option<bool>("--list-transient"), GetAllDomainStatsFlags.Transient),
            (new Option<bool>("--list-running"), GetAllDomainStatsFlags.Running), (new Option<bool>("--list-paused"), GetAllDomainStatsFlags.Paused),
            (new Option<bool>("--list-shutoff"), GetAllDomainStatsFlags.Shutoff), (new Option<bool>("--list-other"), GetAllDomainStatsFlags.Other),
        };
        var command = new Command("domstats", "get statistics about one or multiple domains") { domains };
        foreach (var g in groups)
        {
            command.Options.Add(g.Option);
        }

        foreach (var f in filters)
        {
            command.Options.Add(f.Option);
        }

        command.SetAction(async (r, ct) =>
        {
            var stats = groups.Where(g => r.GetValue(g.Option)).Aggregate(DomainStatsTypes.None, (a, g) => a | g.Type);
            var flags = filters.Where(f => r.GetValue(f.Option)).Aggregate(GetAllDomainStatsFlags.None, (a, f) => a | f.Flag);
            var connection = await s.ConnectAsync(ct);
            var names = r.GetValue(domains) ?? [];
            var records = names.Length == 0
                ? await connection.GetAllDomainStatsAsync(stats, flags, ct)
                : await connection.GetDomainStatsAsync(await Task.WhenAll(names.Select(n => s.DomainAsync(n, ct).AsTask())), stats, flags, ct);
            if (s.Json)
            {
                var array = new JsonArray();
                foreach (var rec in records)
                {
                    var p = new JsonObject();
                    foreach (var parameter in rec.Parameters)
                    {
                        p[parameter.Name] = JsonValue.Create(Formatting.Value(parameter.Value));
                    }

                    array.Add(new JsonObject { ["name"] = rec.Domain.Name, ["stats"] = p });
                }

                s.WriteJson(array);
                return 0;
            }

            var first = true;
            foreach (var rec in records)
            {
                if (!first)
                {
                    s.Out.Write("\n");
                }

                first = false;
                s.Out.Write($"Domain: '{rec.Domain.Name}'\n");
                foreach (var parameter in rec.Parameters)
                {
                    s.Out.Write($"  {parameter.Name}={Formatting.Value(parameter.Value)}\n");
                }
            }

            return 0;
        });
        return command;
    }
}
