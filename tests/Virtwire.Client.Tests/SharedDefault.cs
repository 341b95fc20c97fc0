namespace Virtwire.Client.Tests;

/// <summary>
/// test:///default state is shared by every connection in the process (libvirt's rule), so the tests that
/// use it run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedDefaultCollection
{
    public const string Name = "test:///default";
}
