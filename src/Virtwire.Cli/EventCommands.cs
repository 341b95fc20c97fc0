using System.CommandLine;
using System.Globalization;
using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Cli;

/// <summary><c>event</c> as virsh prints it, and <c>watch</c>: a live table kept current by events.</summary>
internal static class EventCommands
{
    private static readonly string[] EventNames = ["Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped", "Shutdown", "PMSuspended", "Crashed"];

    private static readonly string[][] DetailNames =
    [
        ["Added", "Updated", "Renamed", "Snapshot"],
        ["Removed", "Renamed"],
        ["Booted", "Migrated", "Restored", "Snapshot", "Event wakeup", "Recreated"],
        ["Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot", "API error", "Post-copy", "Post-copy Error"],
        ["Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"],
        ["Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot", "Recreated"],
        ["Finished", "Finished after guest request", "Finished after host request"],
        ["Memory", "Disk"],
        ["Panicked", "Crashloaded"],
    ];

    /// <summary>The line virsh prints for one event.</summary>
    internal static string Describe(VirtDomainEvent e)
    {
        if (e.IsReboot)
        {
            return $"event 'reboot' for domain '{e.Domain.Name}'";
        }

        var index = (int)e.Event;
        var name = index >= 0 && index < EventNames.Length ? EventNames[index] : "unknown";
        var details = index >= 0 && index < DetailNames.Length ? DetailNames[index] : [];
        var detail = e.Detail >= 0 && e.Detail < details.Length ? details[e.Detail] : "unknown";
        return $"event 'lifecycle' for domain '{e.Domain.Name}': {name} {detail}";
    }

    public static IEnumerable<Command> Create(CliSession s)
    {
        yield return Event(s);
        yield return Watch(s);
    }

    private static Command Event(CliSession s)
    {
        var domain = new Option<string?>("--domain") { Description = "filter by domain name, id or uuid" };
        var all = new Option<bool>("--all") { Description = "register for all events" };
        var loop = new Option<bool>("--loop") { Description = "loop until timeout or interrupt, rather than one-shot" };
        var timeout = new Option<int>("--timeout") { Description = "timeout seconds" };
        var eventName = new Option<string?>("--event") { Description = "which event type to wait for" };
        var command = new Command("event", "Domain Events") { domain, all, loop, timeout, eventName };
        command.SetAction(async (r, ct) =>
        {
            var connection = await s.ConnectAsync(ct);
            var filter = r.GetValue(domain) is { } name ? await s.DomainAsync(name, ct) : null;
            var wanted = r.GetValue(eventName);
            if (!r.GetValue(all) && wanted is null)
            {
                throw new CliException("either --list or --event <type> or --all is required");
            }

            await using var subscription = await connection.SubscribeDomainEventsAsync(filter, cancellationToken: ct);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (r.GetValue(timeout) > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(r.GetValue(timeout)));
            }

            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            var count = 0;
            try
            {
                await foreach (var e in subscription.ReadAllAsync(stop.Token))
                {
                    if (wanted is not null && !string.Equals(wanted, e.IsReboot ? "reboot" : "lifecycle", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    await s.Out.WriteLineAsync(Describe(e));
                    await s.Out.FlushAsync(ct);
                    count++;
                    if (!r.GetValue(loop))
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await s.Out.WriteLineAsync(r.GetValue(timeout) > 0 ? "event loop timed out" : "event loop interrupted");
            }

            await s.Out.WriteLineAsync("events received: " + count.ToString(CultureInfo.InvariantCulture));
            return 0;
        });
        return command;
    }

    private static Command Watch(CliSession s)
    {
        var timeout = new Option<int>("--timeout") { Description = "stop after this many seconds" };
        var command = new Command("watch", "live view of all domains, kept current by events, surviving reconnects") { timeout };
        command.SetAction(async (r, ct) =>
        {
            var uri = s.Uri ?? Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI") ?? "qemu:///system";
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (r.GetValue(timeout) > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(r.GetValue(timeout)));
            }

            await using var inventory = await VirtInventory.StartAsync(uri, autoReconnect: true, cancellationToken: ct);
            await PrintAsync();
            try
            {
                await foreach (var change in inventory.ChangesAsync(stop.Token))
                {
                    var what = change.Entry is { } e ? $"{e.Name}: {Formatting.State(e.State)} ({Formatting.Reason(e.State, e.Reason)})" : change.Reason;
                    await s.Out.WriteLineAsync($"[{DateTime.Now:HH:mm:ss}] {change.Kind.ToString().ToLowerInvariant()} {what}");
                    await PrintAsync();
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
            }

            return 0;

            async Task PrintAsync()
            {
                var rows = inventory.Domains.Values
                    .OrderBy(d => d.Id < 0 ? 1 : 0).ThenBy(d => d.Id < 0 ? 0 : d.Id).ThenBy(d => d.Name, StringComparer.Ordinal)
                    .Select(d => new[] { d.Id < 0 ? "-" : d.Id.ToString(CultureInfo.InvariantCulture), d.Name, $"{Formatting.State(d.State)} ({Formatting.Reason(d.State, d.Reason)})" });
                await s.Out.WriteAsync(Formatting.Table(["Id", "Name", "State"], rows));
                await s.Out.FlushAsync(ct);
            }
        });
        return command;
    }
}
