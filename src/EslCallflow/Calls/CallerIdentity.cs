using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;
using EslCallflow.Esl.Messages;

namespace EslCallflow.Calls;

/// <summary>docs/behaviour.md "Which device is calling": the authenticated SIP user, else the From user, at its realm.</summary>
public static class CallerIdentity
{
    public static Device? Find(PbxConfiguration config, EslEvent channel)
    {
        var byAuth = config.FindDevice(channel.GetVariable("sip_auth_username"), channel.GetVariable("sip_auth_realm"));
        return byAuth ?? config.FindDevice(channel.GetVariable("sip_from_user"), channel.GetVariable("sip_from_host"));
    }
}
