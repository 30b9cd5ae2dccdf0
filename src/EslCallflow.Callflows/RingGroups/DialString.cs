using System.Globalization;
using System.Text;
using EslCallflow.Callflows.Documents;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>A leg as it goes into the bridge: the device, its timing, and the Alert-Info ringtone.</summary>
public sealed record PlannedLeg(Device Device, int Delay, int Timeout, string? Ringtone)
{
    public string Endpoint => Device.Endpoint;
}

/// <summary>
/// behaviour.md rules 4 to 9 as text: the one <c>bridge</c> argument. Per-leg variables use the
/// <c>[^^!k='v']</c> form so values may hold commas; every value is single-quoted with <c>'</c> escaped.
/// </summary>
public static class DialString
{
    /// <summary>Channel variable naming the device a leg rings; group_pickup finds ringing devices by it.</summary>
    public const string DeviceVariable = "eslcallflow_device_id";

    // One builder per thread, reused: a dial string is built for every call, and a fresh builder would be
    // garbage as big as the string itself. A 500-member string (~100 KB) is not kept.
    private const int MaxKeptBuilderCapacity = 16 * 1024;
    [ThreadStatic]
    private static StringBuilder? t_builder;

    public static string Build(RingGroupData data, IReadOnlyList<PlannedLeg> legs, CallerContext caller)
    {
        var text = t_builder ?? new StringBuilder(64 + legs.Count * 160);
        t_builder = null;
        text.Clear();
        text.Append("{call_timeout=").Append(Number(data.Timeout))
            .Append(",originate_timeout=").Append(Number(data.Timeout))
            .Append(",ignore_early_media=true,local_var_clobber=true")
            .Append(",outbound_redirect_fatal=").Append(data.IgnoreForward ? "true" : "false");
        if (data.FailOnSingleReject)
        {
            text.Append(",fail_on_single_reject=true");
        }
        text.Append('}');

        var separator = data.Strategy == RingStrategy.Simultaneous ? ',' : '|';
        for (var i = 0; i < legs.Count; i++)
        {
            if (i > 0)
            {
                text.Append(separator);
            }
            AppendLeg(text, legs[i], caller);
        }
        var dialString = text.ToString();
        if (text.Capacity <= MaxKeptBuilderCapacity)
        {
            t_builder = text;
        }
        return dialString;
    }

    /// <summary>Single-quotes a value; the quote itself is backslash-escaped (validation keeps backslashes out).</summary>
    private static StringBuilder AppendQuoted(StringBuilder text, string value)
    {
        text.Append('\'');
        var rest = value.AsSpan();
        for (var quote = rest.IndexOf('\''); quote >= 0; quote = rest.IndexOf('\''))
        {
            text.Append(rest[..quote]).Append("\\'");
            rest = rest[(quote + 1)..];
        }
        return text.Append(rest).Append('\'');
    }

    private static StringBuilder AppendQuoted(StringBuilder text, int value) =>
        text.Append('\'').Append(CultureInfo.InvariantCulture, $"{value}").Append('\'');

    private static void AppendLeg(StringBuilder text, PlannedLeg leg, CallerContext caller)
    {
        AppendQuoted(text.Append("[^^!leg_timeout="), leg.Timeout);
        if (leg.Delay > 0)
        {
            AppendQuoted(text.Append("!leg_delay_start="), leg.Delay);
        }
        if (leg.Ringtone is { } ringtone)
        {
            AppendQuoted(text.Append("!sip_h_Alert-Info="), ringtone);
        }
        AppendQuoted(text.Append('!').Append(DeviceVariable).Append('='), leg.Device.Id);
        if (caller.Device?.CallerIdInternal is { } callerId)
        {
            if (callerId.Name is { } name)
            {
                AppendQuoted(text.Append("!origination_caller_id_name="), name);
            }
            if (callerId.Number is { } number)
            {
                AppendQuoted(text.Append("!origination_caller_id_number="), number);
            }
        }
        text.Append(']').Append(leg.Endpoint);
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
