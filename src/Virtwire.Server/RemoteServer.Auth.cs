using System.Text;
using Virtwire.Protocol;
using Virtwire.Rpc;
using Virtwire.Rpc.Sasl;

namespace Virtwire.Server;

/// <summary>
/// libvirt's SASL exchange (protocol-facts §8) with SCRAM-SHA-256 and SCRAM-SHA-1 done here, in managed code:
/// AUTH_SASL_INIT lists the mechanisms, AUTH_SASL_START carries the client-first message, AUTH_SASL_STEP the
/// client-final one; the server's final message comes back with <c>complete = 1</c>. SCRAM gives no security layer
/// (SSF 0), so as in libvirt it is offered only over TLS or a unix socket.
/// </summary>
public sealed partial class RemoteServer
{
    private static RpcRemoteException AuthFailed() =>
        new(RemoteError.Create(VirtErrorCode.AuthFailed, VirtErrorDomain.Rpc, "authentication failed: authentication failed", "authentication failed: %s",
            "authentication failed"));

    internal AuthListRet AuthList(ClientSession session) => new() { Types = [session.Access.Auth] };

    internal StringRet SaslInit(ClientSession session)
    {
        if (session.Access.Auth != AuthType.Sasl || session.SaslInitDone || session.Authenticated)
        {
            throw SaslRefused(session, "AUTH_SASL_INIT out of turn or on a listener without SASL");
        }

        if (!session.Access.SecureChannel)
        {
            // libvirt asks for SSF >= 56 on plain TCP; SCRAM has none, so no mechanism qualifies.
            throw SaslRefused(session, "SCRAM needs TLS or a unix socket (no mechanism offers SSF >= 56 on plain TCP)");
        }

        if (SaslCredentials is null)
        {
            throw SaslRefused(session, "no SASL user database is configured (sasl_db)");
        }

        session.SaslInitDone = true;
        return new StringRet { Value = string.Join(",", ScramMechanism.All.Select(m => m.Name)) };
    }

    internal AuthSaslStepRet SaslStart(ClientSession session, AuthSaslStartArgs args)
    {
        if (!session.SaslInitDone || session.Sasl is not null || session.Authenticated)
        {
            throw SaslRefused(session, "AUTH_SASL_START out of turn");
        }

        var mechanism = ScramMechanism.Find(args.Mech);
        if (mechanism is null)
        {
            throw SaslRefused(session, $"mechanism '{args.Mech}' is not offered");
        }

        var store = SaslCredentials!;
        session.Sasl = new ScramServer(mechanism, user => store.Find(user, mechanism));
        if (args.Nil != 0)
        {
            // No initial response: SCRAM is client-first, so ask for it with an empty challenge.
            session.SaslAwaitingClientFirst = true;
            return new AuthSaslStepRet { Complete = 0, Nil = 0, Data = [] };
        }

        return Challenge(session, () => session.Sasl.Start(Text(args.Data)));
    }

    internal AuthSaslStepRet SaslStep(ClientSession session, AuthSaslStepArgs args)
    {
        var scram = session.Sasl;
        if (scram is null || session.Authenticated)
        {
            throw SaslRefused(session, "AUTH_SASL_STEP out of turn");
        }

        if (session.SaslAwaitingClientFirst)
        {
            session.SaslAwaitingClientFirst = false;
            return Challenge(session, () => scram.Start(Text(args.Data)));
        }

        string serverFinal;
        try
        {
            serverFinal = scram.Finish(Text(args.Data));
        }
        catch (ScramException ex)
        {
            throw SaslRefused(session, $"{ex.Message} (user '{scram.Username ?? "?"}')");
        }

        var user = scram.Username!;
        if (!AccessGlob.Allows(SaslAllowedPatterns, user))
        {
            throw SaslRefused(session, $"SASL user '{user}' is not on sasl_allowed_username_list");
        }

        session.Sasl = null;
        session.SaslUsername = user;
        session.Authenticated = true;
        session.Access.OnAuthenticated?.Invoke();
        Log.SaslAuthenticated(_logger, session.Connection.Peer, user, scram.Mechanism.Name);
        return new AuthSaslStepRet { Complete = 1, Nil = 0, Data = Encoding.UTF8.GetBytes(serverFinal) };
    }

    private AuthSaslStepRet Challenge(ClientSession session, Func<string> step)
    {
        try
        {
            return new AuthSaslStepRet { Complete = 0, Nil = 0, Data = Encoding.UTF8.GetBytes(step()) };
        }
        catch (ScramException ex)
        {
            throw SaslRefused(session, ex.Message);
        }
    }

    /// <summary>Any failure discards the SASL session (the client may start again from INIT) and says only "authentication failed".</summary>
    private RpcRemoteException SaslRefused(ClientSession session, string reason)
    {
        session.Sasl = null;
        session.SaslInitDone = false;
        session.SaslAwaitingClientFirst = false;
        Log.SaslFailed(_logger, session.Connection.Peer, reason);
        return AuthFailed();
    }

    private static string Text(byte[] data)
    {
        // Cyrus counts the terminating NUL in some lengths; SCRAM text never contains one.
        var end = Array.IndexOf(data, (byte)0);
        return Encoding.UTF8.GetString(data, 0, end < 0 ? data.Length : end);
    }
}
