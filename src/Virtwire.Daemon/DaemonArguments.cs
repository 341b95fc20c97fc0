using System.Globalization;

namespace Virtwire.Daemon;

/// <summary>libvirtd's command line: -l/--listen, -f/--config, -p/--pid-file, -t/--timeout, -v/--verbose, -V/--version, -h/--help.</summary>
internal sealed record DaemonArguments
{
    public const string Usage = """
        Usage:
          virtwired [options]

        Options:
          -h | --help            Display program help
          -v | --verbose         Verbose messages
          -d | --daemon          Run as a daemon & write PID file (accepted; stays in the foreground)
          -l | --listen          Listen for TCP/IP connections
          -t | --timeout <secs>  Exit after timeout period
          -f | --config <file>   Configuration file
          -V | --version         Display version information
          -p | --pid-file <file> Change name of PID file

        With no --config, virtwired serves its embedded default: the test driver (test:///default),
        unix sockets libvirt-sock and libvirt-sock-ro in ./run, and with --listen plain TCP on 127.0.0.1:16509.
        """;

    public bool Listen { get; init; }

    public string? ConfigFile { get; init; }

    public string? PidFile { get; init; }

    public int TimeoutSeconds { get; init; }

    public bool Verbose { get; init; }

    public bool Version { get; init; }

    public bool Help { get; init; }

    public static DaemonArguments? Parse(string[] args, out string? error)
    {
        error = null;
        var result = new DaemonArguments();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inline = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            string? Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                return i + 1 < args.Length ? args[++i] : null;
            }

            switch (arg)
            {
                case "-l" or "--listen":
                    result = result with { Listen = true };
                    break;
                case "-v" or "--verbose":
                    result = result with { Verbose = true };
                    break;
                case "-V" or "--version":
                    result = result with { Version = true };
                    break;
                case "-h" or "--help":
                    result = result with { Help = true };
                    break;
                case "-d" or "--daemon":
                    break;
                case "-f" or "--config":
                    result = result with { ConfigFile = Value() ?? Missing(arg, out error) };
                    break;
                case "-p" or "--pid-file":
                    result = result with { PidFile = Value() ?? Missing(arg, out error) };
                    break;
                case "-t" or "--timeout":
                    var text = Value();
                    if (text is null || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                    {
                        error = $"invalid timeout '{text}'";
                        return null;
                    }

                    result = result with { TimeoutSeconds = seconds };
                    break;
                default:
                    error = $"unrecognized option '{args[i]}'";
                    return null;
            }

            if (error is not null)
            {
                return null;
            }
        }

        return result;
    }

    private static string? Missing(string option, out string? error)
    {
        error = $"option '{option}' requires an argument";
        return null;
    }
}
