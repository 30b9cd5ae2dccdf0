using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using EslCallflow.Esl.Messages;
using EslCallflow.Esl.Protocol;

namespace EslCallflow.Dialplan;

/// <summary>
/// One mod_xml_curl fetch, read from its form post: what is asked (<c>section</c>), for which channel, and the
/// channel's data as an event (the same header names as on the event socket: <c>Unique-ID</c>,
/// <c>Caller-Destination-Number</c>, <c>variable_*</c>), so the modules read it as they read a socket's channel data.
/// </summary>
/// <remarks>
/// mod_xml_curl.c <c>xml_url_fetch</c> posts <c>hostname=..&amp;section=..&amp;tag_name=..&amp;key_name=..&amp;key_value=..</c>
/// then every header of the fetch's event (switch_event.c <c>switch_event_build_param_string</c>): for a dialplan
/// lookup, mod_dialplan_xml.c <c>dialplan_xml_locate</c> fills it with the channel's data and variables
/// (<c>switch_channel_event_set_data</c>) and the profile being hunted under the prefix <c>Hunt</c>
/// (<c>Hunt-Destination-Number</c>, <c>Hunt-Context</c>: after a <c>transfer</c>, the new ones). Names are written
/// as they are; values through <c>switch_url_encode</c>, which does not encode a '%' already followed by two hex
/// digits, so a value is decoded once, as FreeSWITCH meant it.
/// </remarks>
public sealed record DialplanFetch(string? Section, string? Context, string? Destination, string? Uuid, EslEvent Channel)
{
    /// <summary>The fields read from a fetch; the rest of its ~200 are skipped without being decoded.</summary>
    public static readonly FrozenSet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "section", "Hunt-Destination-Number", "Hunt-Context", "Hunt-RDNIS", "Caller-Destination-Number", "Caller-Context",
        "Unique-ID", "Caller-Caller-ID-Name", "Caller-Caller-ID-Number", "Answer-State", "Hangup-Cause", "Other-Leg-Unique-ID",
        "Caller-Channel-Bridged-Time", "Event-Date-Timestamp",
        "variable_sip_auth_username", "variable_sip_auth_realm", "variable_sip_from_user", "variable_sip_from_host",
        "variable_continue_on_fail", "variable_hangup_after_bridge",
        "variable_originate_disposition", "variable_originate_failed_cause", "variable_last_bridge_to", "variable_bridge_uuid", "variable_signal_bond",
        "variable_last_bridge_hangup_cause", "variable_bridge_hangup_cause", "variable_max_forwards", "variable_max_session_transfers",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Reads an <c>application/x-www-form-urlencoded</c> body (ASCII: switch_url_encode leaves nothing else).</summary>
    public static DialplanFetch Parse(ReadOnlySequence<byte> body)
    {
        var length = checked((int)body.Length);
        var rented = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            body.CopyTo(rented);
            return Parse(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static DialplanFetch Parse(ReadOnlySpan<byte> form)
    {
        var selected = new List<KeyValuePair<string, string>>(Fields.Count);
        var lookup = Fields.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> name = stackalloc char[64];
        while (form.Length > 0)
        {
            var end = form.IndexOf((byte)'&');
            var pair = end < 0 ? form : form[..end];
            form = end < 0 ? [] : form[(end + 1)..];
            var equals = pair.IndexOf((byte)'=');
            if (equals <= 0 || equals > name.Length)
            {
                continue;
            }
            var written = Encoding.ASCII.GetChars(pair[..equals], name);
            if (lookup.TryGetValue(name[..written], out var key))
            {
                selected.Add(new(key, Decode(pair[(equals + 1)..])));
            }
        }
        var channel = new EslEvent(selected);
        return new DialplanFetch(
            channel["section"],
            channel["Hunt-Context"] ?? channel["Caller-Context"],
            channel["Hunt-Destination-Number"] ?? channel["Caller-Destination-Number"],
            channel.UniqueId,
            channel);
    }

    /// <summary>Percent-decoding of UTF-8 bytes; '+' stays '+' (switch_url_encode writes a space as %20).</summary>
    private static string Decode(ReadOnlySpan<byte> value)
    {
        if (value.IndexOf((byte)'%') < 0)
        {
            return Encoding.UTF8.GetString(value);
        }
        var decoded = value.Length <= 1024 ? stackalloc byte[value.Length] : new byte[value.Length];
        var written = 0;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && i + 2 < value.Length && Hex(value[i + 1]) is >= 0 and var high && Hex(value[i + 2]) is >= 0 and var low)
            {
                decoded[written++] = (byte)((high << 4) | low);
                i += 2;
            }
            else
            {
                decoded[written++] = value[i];
            }
        }
        return Encoding.UTF8.GetString(decoded[..written]);
    }

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
