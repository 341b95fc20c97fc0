using System.Globalization;
using Virtwire.Protocol;
using Virtwire.Xdr;

namespace Virtwire.Client;

public sealed partial class VirtConnection
{
    internal VirtDomain Wrap(RemoteDomain dom) => new(this, dom);

    /// <summary>All domains matching <paramref name="flags"/> (none = all), with name, id and UUID, in one round trip.</summary>
    public async ValueTask<IReadOnlyList<VirtDomain>> ListAllDomainsAsync(ListDomainsFlags flags = ListDomainsFlags.None, CancellationToken cancellationToken = default)
    {
        var r = await Remote.ConnectListAllDomainsAsync(new ListAllArgs { NeedResults = 1, Flags = (uint)flags }, cancellationToken).ConfigureAwait(false);
        return r.Domains.Select(Wrap).ToArray();
    }

    public async ValueTask<VirtDomain> LookupDomainByNameAsync(string name, CancellationToken cancellationToken = default) =>
        Wrap((await Remote.DomainLookupByNameAsync(new StringArgs { Value = name }, cancellationToken).ConfigureAwait(false)).Dom);

    public async ValueTask<VirtDomain> LookupDomainByIdAsync(int id, CancellationToken cancellationToken = default) =>
        Wrap((await Remote.DomainLookupByIdAsync(new IntArgs { Value = id }, cancellationToken).ConfigureAwait(false)).Dom);

    public async ValueTask<VirtDomain> LookupDomainByUuidAsync(XdrUuid uuid, CancellationToken cancellationToken = default) =>
        Wrap((await Remote.DomainLookupByUuidAsync(new UuidArgs { Uuid = uuid }, cancellationToken).ConfigureAwait(false)).Dom);

    /// <summary>
    /// Finds a domain the way virsh resolves its argument: as an id if it is a number, then as a UUID if
    /// it looks like one, then as a name.
    /// </summary>
    public async ValueTask<VirtDomain> LookupDomainAsync(string nameIdOrUuid, CancellationToken cancellationToken = default)
    {
        if (int.TryParse(nameIdOrUuid, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            try
            {
                return await LookupDomainByIdAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (VirtException ex) when (ex.Code == Virtwire.Rpc.VirtErrorCode.NoDomain)
            {
            }
        }

        if (nameIdOrUuid.Length == 36 && XdrUuid.TryParse(nameIdOrUuid, out var uuid))
        {
            try
            {
                return await LookupDomainByUuidAsync(uuid, cancellationToken).ConfigureAwait(false);
            }
            catch (VirtException ex) when (ex.Code == Virtwire.Rpc.VirtErrorCode.NoDomain)
            {
            }
        }

        return await LookupDomainByNameAsync(nameIdOrUuid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Defines (or redefines) a persistent domain from its XML.</summary>
    public async ValueTask<VirtDomain> DefineDomainAsync(string xml, uint flags = 0, CancellationToken cancellationToken = default) =>
        Wrap((flags == 0
            ? await Remote.DomainDefineXmlAsync(new StringArgs { Value = xml }, cancellationToken).ConfigureAwait(false)
            : await Remote.DomainDefineXmlFlagsAsync(new StringFlagsArgs { Value = xml, Flags = flags }, cancellationToken).ConfigureAwait(false)).Dom);

    /// <summary>Creates and starts a transient domain from its XML.</summary>
    public async ValueTask<VirtDomain> CreateDomainAsync(string xml, DomainCreateFlags flags = DomainCreateFlags.None, CancellationToken cancellationToken = default) =>
        Wrap((await Remote.DomainCreateXmlAsync(new StringFlagsArgs { Value = xml, Flags = (uint)flags }, cancellationToken).ConfigureAwait(false)).Dom);

    /// <summary>Statistics of every domain matching <paramref name="flags"/>, in one round trip.</summary>
    public ValueTask<IReadOnlyList<VirtDomainStats>> GetAllDomainStatsAsync(DomainStatsTypes stats = DomainStatsTypes.None,
        GetAllDomainStatsFlags flags = GetAllDomainStatsFlags.None, CancellationToken cancellationToken = default) =>
        GetDomainStatsAsync([], stats, flags, cancellationToken);

    /// <summary>Statistics of the given domains (virDomainListGetStats), in one round trip.</summary>
    public async ValueTask<IReadOnlyList<VirtDomainStats>> GetDomainStatsAsync(IEnumerable<VirtDomain> domains, DomainStatsTypes stats = DomainStatsTypes.None,
        GetAllDomainStatsFlags flags = GetAllDomainStatsFlags.None, CancellationToken cancellationToken = default)
    {
        var r = await Remote.ConnectGetAllDomainStatsAsync(new ConnectGetAllDomainStatsArgs
        {
            Doms = domains.Select(d => d.Handle).ToArray(),
            Stats = (uint)stats,
            Flags = (uint)flags,
        }, cancellationToken).ConfigureAwait(false);
        return r.RetStats.Select(s => new VirtDomainStats(
            new VirtDomainHandle(s.Dom.Name, s.Dom.Uuid, s.Dom.Id),
            s.Params.Select(p => new VirtTypedParameter(p.Field, p.Value)).ToArray())).ToArray();
    }
}
