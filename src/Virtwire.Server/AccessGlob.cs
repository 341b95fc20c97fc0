using System.Text.RegularExpressions;

namespace Virtwire.Server;

/// <summary>libvirt's access lists (tls_allowed_dn_list, sasl_allowed_username_list): shell globs as fnmatch with no flags.</summary>
public static class AccessGlob
{
    public static Regex Compile(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal)
            .Replace(@"\[", "[", StringComparison.Ordinal).Replace(@"\]", "]", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
    }

    /// <summary>True when the list is empty (no restriction) or some pattern matches.</summary>
    public static bool Allows(IReadOnlyList<Regex> patterns, string value) => patterns.Count == 0 || patterns.Any(p => p.IsMatch(value));
}
