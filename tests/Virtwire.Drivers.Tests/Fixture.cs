namespace Virtwire.Drivers.Tests;

internal static class Fixture
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<IDriverConnection> OpenDefaultAsync(Test.TestDriver driver) =>
        await driver.OpenAsync(new Uri("test:///default"), readOnly: false, Ct);
}
