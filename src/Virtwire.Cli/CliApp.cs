using System.CommandLine;
using System.Text;
using Virtwire.Client;

namespace Virtwire.Cli;

/// <summary>Parses virsh-style command lines and runs them against one session.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(CliSession session, string[] args, CancellationToken cancellationToken)
    {
        var connect = new Option<string?>("--connect", "-c") { Description = "hypervisor connection URI", Recursive = true };
        var readOnly = new Option<bool>("--readonly", "-r") { Description = "connect readonly", Recursive = true };
        var json = new Option<bool>("--json") { Description = "machine-readable output", Recursive = true };
        var root = new RootCommand("virtwire: virsh's commands over a pure managed libvirt client") { connect, readOnly, json };
        foreach (var command in DomainCommands.Create(session).Concat(HostCommands.Create(session)).Concat(EventCommands.Create(session)).Concat(SaslCommands.Create(session)))
        {
            root.Subcommands.Add(command);
        }

        // Global options first, then either one command with its arguments or one argument holding "cmd; cmd".
        var globals = new List<string>();
        var i = 0;
        while (i < args.Length && args[i].StartsWith('-'))
        {
            globals.Add(args[i]);
            if (args[i] is "-c" or "--connect" && i + 1 < args.Length)
            {
                globals.Add(args[++i]);
            }

            i++;
        }

        var rest = args[i..];
        var commands = rest.Length == 1 && (rest[0].Contains(';', StringComparison.Ordinal) || rest[0].Contains(' ', StringComparison.Ordinal))
            ? Split(rest[0])
            : [rest];

        var globalResult = root.Parse(globals);
        session.Uri = globalResult.GetValue(connect);
        session.ReadOnly = globalResult.GetValue(readOnly);
        session.Json = globalResult.GetValue(json);
        if (commands.Count == 0 || commands[0].Length == 0)
        {
            return await root.Parse([.. globals, "--help"]).InvokeAsync(cancellationToken: cancellationToken);
        }

        var status = 0;
        foreach (var command in commands)
        {
            var parsed = root.Parse([.. globals, .. command]);
            if (parsed.Errors.Count > 0)
            {
                foreach (var error in parsed.Errors)
                {
                    await session.Error.WriteLineAsync("error: " + error.Message);
                }

                status = 1;
                continue;
            }

            try
            {
                status = await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellationToken);
            }
            catch (CliException ex)
            {
                foreach (var line in ex.Lines)
                {
                    await session.Error.WriteLineAsync("error: " + line);
                }

                if (ex.EndsSession)
                {
                    return 1;
                }

                status = 1;
            }
            catch (VirtException ex)
            {
                await session.Error.WriteLineAsync("error: " + ex.Message);
                status = 1;
            }

            // virsh ends every command's output with an empty line.
            if (!session.Json)
            {
                await session.Out.WriteAsync("\n");
            }
        }

        return status;
    }

    /// <summary>Splits "cmd a b; cmd2 'c d'" into commands and their words, honouring quotes.</summary>
    internal static List<string[]> Split(string text)
    {
        var commands = new List<string[]>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        void EndWord()
        {
            if (inWord)
            {
                words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
        }

        foreach (var c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    inWord = true;
                    break;
                case ';':
                    EndWord();
                    if (words.Count > 0)
                    {
                        commands.Add([.. words]);
                    }

                    words.Clear();
                    break;
                case ' ' or '\t' or '\n':
                    EndWord();
                    break;
                default:
                    word.Append(c);
                    inWord = true;
                    break;
            }
        }

        EndWord();
        if (words.Count > 0)
        {
            commands.Add([.. words]);
        }

        return commands;
    }
}
