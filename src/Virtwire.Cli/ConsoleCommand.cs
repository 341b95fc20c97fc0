using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Virtwire.Client;
using Virtwire.Protocol;

namespace Virtwire.Cli;

/// <summary>
/// virsh's <c>console</c>: the guest's serial console over a libvirt stream. On a terminal the input is put in raw
/// mode and Ctrl+] ends the session; with redirected input, what is read is sent and the session lasts until the
/// guest's console closes (or the command is interrupted).
/// </summary>
internal static class ConsoleCommand
{
    private const byte EscapeByte = 0x1d; // Ctrl+]

    public static Command Create(CliSession s)
    {
        var domain = new Argument<string>("domain") { Description = "domain name, id or uuid" };
        var devname = new Option<string?>("--devname") { Description = "character device name" };
        var force = new Option<bool>("--force") { Description = "force console connection (disconnect already connected sessions)" };
        var safe = new Option<bool>("--safe") { Description = "only connect if safe console handling is supported" };
        var command = new Command("console", "connect to the guest console") { domain, devname, force, safe };
        command.SetAction(async (r, ct) =>
        {
            var d = await s.DomainAsync(r.GetValue(domain)!, ct);
            var flags = (r.GetValue(force) ? DomainConsoleFlags.Force : 0) | (r.GetValue(safe) ? DomainConsoleFlags.Safe : 0);
            VirtStream console;
            try
            {
                if (!await d.IsActiveAsync(ct))
                {
                    throw new CliException("The domain is not running");
                }

                console = await d.OpenConsoleAsync(r.GetValue(devname), flags, ct);
            }
            catch (VirtException ex)
            {
                throw new CliException(ex.Message);
            }

            await using (console)
            {
                s.Out.Write($"Connected to domain '{d.Name}'\nEscape character is ^] (Ctrl + ])\n");
                await s.Out.FlushAsync(ct);
                await RunAsync(s, console, ct);
            }

            return 0;
        });
        return command;
    }

    private static async Task RunAsync(CliSession s, VirtStream console, CancellationToken cancellationToken)
    {
        var terminal = s.Input is null && !Console.IsInputRedirected;
        var input = s.Input ?? Console.OpenStandardInput();
        var output = s.RawOutput;
        using var session = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (terminal)
        {
            Stty("raw -echo");
        }

        try
        {
            var toScreen = CopyOutAsync(console, output, s.Out, session.Token);
            var toGuest = CopyInAsync(input, console, terminal, session.Token);
            var first = await Task.WhenAny(toScreen, toGuest);
            if (first == toGuest && !await toGuest)
            {
                // Redirected input ran out: keep showing the guest until its console closes.
                await toScreen;
            }

            await session.CancelAsync();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (terminal)
            {
                Stty("sane");
            }
        }

        s.Out.Write("\n");
    }

    /// <summary>Guest to screen, until the stream ends.</summary>
    private static async Task CopyOutAsync(VirtStream console, Stream? raw, TextWriter text, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(buffer.Length)];
        int read;
        while ((read = await console.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (raw is not null)
            {
                await raw.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                await raw.FlushAsync(cancellationToken);
            }
            else
            {
                var count = decoder.GetChars(buffer, 0, read, chars, 0);
                await text.WriteAsync(chars.AsMemory(0, count), cancellationToken);
                await text.FlushAsync(cancellationToken);
            }
        }
    }

    /// <summary>Keyboard to guest. True when the escape character ended the session, false at the end of the input.</summary>
    private static async Task<bool> CopyInAsync(Stream input, VirtStream console, bool terminal, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            var escape = Array.IndexOf(buffer, EscapeByte, 0, read);
            if (escape >= 0)
            {
                if (escape > 0)
                {
                    await console.WriteAsync(buffer.AsMemory(0, escape), cancellationToken);
                }

                return true;
            }

            await console.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return terminal;
    }

    private static void Stty(string mode)
    {
        try
        {
            var info = new ProcessStartInfo("stty") { UseShellExecute = false };
            foreach (var part in mode.Split(' '))
            {
                info.ArgumentList.Add(part);
            }

            using var stty = Process.Start(info);
            stty?.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No stty: the terminal stays in line mode; the session still works, line by line.
        }
    }
}
