using System.CommandLine;
using Virtwire.Rpc.Sasl;

namespace Virtwire.Cli;

/// <summary>
/// <c>virtwire saslpasswd</c>: manages virtwired's SASL users the way <c>saslpasswd2</c> manages sasldb — salted
/// SCRAM keys only, never the password. <c>-p</c> reads the password from standard input (one line).
/// </summary>
internal static class SaslCommands
{
    public static IEnumerable<Command> Create(CliSession s)
    {
        var user = new Argument<string?>("user") { Description = "the SASL user name", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file", "-f") { Description = "the user database (virtwired's sasl_db; default /etc/virtwire/passwd.db for root)" };
        var delete = new Option<bool>("--delete", "-d") { Description = "delete the user" };
        var pipe = new Option<bool>("--pipe", "-p") { Description = "read the password from standard input without prompting" };
        var list = new Option<bool>("--list", "-l") { Description = "list the users" };
        var command = new Command("saslpasswd", "set, delete or list virtwired's SASL (SCRAM) users") { user, file, delete, pipe, list };
        command.SetAction(async (r, ct) =>
        {
            var store = new ScramCredentialStore(r.GetValue(file) ?? ScramCredentialStore.DefaultPath());
            if (r.GetValue(list))
            {
                foreach (var known in store.Users())
                {
                    s.Out.Write(known + "\n");
                }

                return 0;
            }

            var name = r.GetValue(user) ?? throw new CliException("a user name is required");
            if (r.GetValue(delete))
            {
                return store.Delete(name) ? 0 : throw new CliException($"user '{name}' not found in {store.Path}");
            }

            var password = r.GetValue(pipe) || s.Input is not null || Console.IsInputRedirected
                ? await ReadLineAsync(s.Input ?? Console.OpenStandardInput(), ct)
                : Prompt();
            if (string.IsNullOrEmpty(password))
            {
                throw new CliException("no password given");
            }

            try
            {
                store.SetPassword(name, password);
            }
            catch (ArgumentException ex)
            {
                throw new CliException(ex.Message);
            }

            return 0;
        });
        yield return command;
    }

    private static async Task<string?> ReadLineAsync(Stream input, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(input, leaveOpen: true);
        return (await reader.ReadLineAsync(cancellationToken))?.TrimEnd('\r');
    }

    private static string Prompt()
    {
        var first = ReadHidden("Password: ");
        var again = ReadHidden("Again (for verification): ");
        return first == again ? first : throw new CliException("passwords don't match");
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
