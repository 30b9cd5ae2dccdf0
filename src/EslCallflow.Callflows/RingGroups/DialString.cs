using System.Globalization;
using System.Text;
using EslCallflow.Callflows.Documents;
using EslCallflow.Callflows.FreeSwitch;
using EslCallflow.Callflows.Modules;

namespace EslCallflow.Callflows.RingGroups;

/// <summary>A leg as it goes into the bridge: the device, its timing, and the Alert-Info header value (see <see cref="AlertInfo"/>).</summary>
public sealed record PlannedLeg(Device Device, int Delay, int Timeout, string? AlertInfo)
{
    public string Endpoint => Device.Endpoint;

    /// <summary>The member must press a key before the call is put through (<c>confirm</c>), or null.</summary>
    public LegConfirm? Confirm { get; init; }
}

/// <summary>
/// docs/behaviour.md rules 4 to 9 as text: the one <c>bridge</c> argument, built so that every value reaches the leg's
/// channel exactly as written and nothing in a value can add a leg, a variable, a header or an application.
/// <para>
/// How FreeSWITCH 1.10.12 reads it (the test model tests/EslCallflow.Testing/FreeSwitchDialString.cs follows the
/// same code step by step): switch_core_session.c <c>switch_core_session_exec</c> expands the argument
/// (<see cref="AppArgument"/>); switch_ivr_originate.c <c>switch_ivr_originate</c> reads the <c>{...}</c> globals, then
/// splits on <c>|</c> and on <c>,</c> with switch_utils.c <c>switch_separate_string</c>, and
/// switch_event.c <c>switch_event_create_brackets</c> splits each leg's <c>[^^X...]</c> block on X and each element once
/// on <c>=</c>, also with <c>switch_separate_string</c>. Every one of those four splits ends with
/// <c>cleanup_separated_string</c>, which removes one level of quotes and of backslash escapes.
/// </para>
/// <para>
/// The encoding, per value: (4) for the '=' split, '\' and '\'' are backslash-escaped, leading and trailing spaces
/// become <c>\s</c> (cleanup trims bare ones), and <c>:_</c> becomes <c>:''_</c> (an empty quote pair that this last
/// cleanup removes, so the text never holds <c>:_:</c>, which would make <c>switch_ivr_originate</c> run
/// <c>switch_ivr_enterprise_originate</c>); then (3) '\', '\'' and X, (2) '\', '\'' and ',', (1) '\', '\'' and '|' are
/// backslash-escaped in turn, so each split skips them and each cleanup takes one level off. X is, per leg, the first
/// of <see cref="Delimiters"/> that occurs in none of the leg's values. '[' and ']' cannot be escaped
/// (<c>switch_find_end_paren</c> counts them blindly to find the block's end), so unbalanced ones are balanced by a
/// first element of '[' and a last element of ']': an element without '=' is ignored by create_brackets. (Commas
/// escaped at level 2 are also left alone by originate's comma marking, which skips a comma after a backslash.)
/// Last, the whole text is encoded for argument expansion (<see cref="AppArgument.Encode"/>). Values that no
/// encoding carries (<see cref="ChannelValue"/>) are refused when documents load, and here.
/// </para>
/// </summary>
public static class DialString
{
    /// <summary>
    /// The most legs one bridge rings. switch_ivr_originate.c <c>switch_ivr_originate</c> splits the dial string with
    /// switch_separate_string into <c>pipe_names[MAX_PEERS]</c> on '|' and each part into <c>peer_names[MAX_PEERS]</c>
    /// on ',' (<c>#define MAX_PEERS 128</c>); separate_string_char_delim (switch_utils.c) stops at the array's end, so
    /// the 128th part holds the rest unsplit: given 129 <c>user/</c> legs, FreeSWITCH 1.10.12 looked up
    /// <c>1001@127.0.0.1,user/1002@127.0.0.1</c> as one user and rang neither, without a word. <c>:_:</c> (enterprise
    /// originate) would ring more at once, but it originates each part with no caller session
    /// (<c>enterprise_originate_thread</c> calls switch_ivr_originate with NULL), so the legs would not know their caller:
    /// no caller id or variables from the caller's channel, and no ringing leg whose other leg a pickup intercepts.
    /// </summary>
    public const int MaxLegs = 128;

    /// <summary>Channel variable naming the device a leg rings; group_pickup finds ringing devices by it.</summary>
    public const string DeviceVariable = "eslcallflow_device_id";

    /// <summary>
    /// Per-leg delimiter candidates: none means anything to any split or cleanup (not a quote, backslash, space,
    /// ',', '|', '=', a bracket or brace, '$', '^', a letter or digit (\n \s ...)), and none occurs in a variable name.
    /// </summary>
    public const string Delimiters = "!~#;&*+@%?/<>";

    // One builder per thread, reused: a dial string is built for every call, and a fresh builder would be
    // garbage as big as the string itself. A 500-member string (~100 KB) is not kept.
    private const int MaxKeptBuilderCapacity = 16 * 1024;
    [ThreadStatic]
    private static StringBuilder? t_builder;
    [ThreadStatic]
    private static StringBuilder? t_scratch;

    /// <summary>
    /// The whole attempt's limit for a group timeout of <paramref name="timeout"/> seconds. switch_ivr_originate
    /// (switch_ivr_originate.c) ends a leg once <c>elapsed &gt; leg_timeout</c> but the whole attempt once
    /// <c>elapsed &gt;= timelimit_sec</c>, both in whole seconds: a group timeout sent as N would ring N-1 to N s
    /// (measured: timeout 5 rang 4.0 to 4.4 s). Sent as N+1 it rings N to N+1 s, as a leg timeout of N does.
    /// </summary>
    public static int AttemptLimit(int timeout) => timeout + 1;

    /// <summary>The bridge argument to send (already encoded for argument expansion).</summary>
    public static string Build(RingGroupData data, IReadOnlyList<PlannedLeg> legs, CallerContext caller)
    {
        var text = t_builder ?? new StringBuilder(64 + legs.Count * 160);
        t_builder = null;
        text.Clear();
        text.Append("{call_timeout=").Append(Number(AttemptLimit(data.Timeout)))
            .Append(",originate_timeout=").Append(Number(AttemptLimit(data.Timeout)))
            .Append(",ignore_early_media=true,local_var_clobber=true")
            .Append(",outbound_redirect_fatal=").Append(data.IgnoreForward ? "true" : "false");
        if (data.FailOnSingleReject)
        {
            text.Append(",fail_on_single_reject=true");
        }
        text.Append('}');

        var callerId = caller.Device?.CallerIdInternal;
        (string Name, string? Restore)? callerName = ShownName(data, caller) is { } name ? LegCallerIdName.Values(name) : null;
        var callerNumber = callerId?.Number is { Length: > 0 } number ? number : null;
        var separator = data.Strategy == RingStrategy.Simultaneous ? ',' : '|';
        for (var i = 0; i < legs.Count; i++)
        {
            if (i > 0)
            {
                text.Append(separator);
            }
            AppendLeg(text, legs[i], callerName, callerNumber, caller.PhoneRoute);
        }
        var dialString = AppArgument.Encode(text.ToString());
        if (text.Capacity <= MaxKeptBuilderCapacity)
        {
            t_builder = text;
        }
        return dialString;
    }

    /// <summary>
    /// The caller id name the members' phones show: <c>caller_id_name_prefix</c> before the caller's name (its
    /// device's internal caller id, else the name its own call came with, else its number); without a prefix, the
    /// device's name only (an external caller's own name reaches the legs without the daemon). A name from the
    /// caller's channel that no channel variable can carry (<see cref="ChannelValue"/>) is left out: the prefix alone shows.
    /// </summary>
    public static string? ShownName(RingGroupData data, CallerContext caller)
    {
        var deviceName = caller.Device?.CallerIdInternal?.Name is { Length: > 0 } name ? name : null;
        if (data.CallerIdNamePrefix is not { Length: > 0 } prefix)
        {
            return deviceName;
        }
        var callerName = deviceName
            ?? (caller.CallerIdName is { Length: > 0 } own && ChannelValue.Problem(own) is null ? own : null)
            ?? (caller.CallerIdNumber is { Length: > 0 } number && ChannelValue.Problem(number) is null ? number : null);
        return prefix + callerName;
    }

    private static void AppendLeg(StringBuilder text, PlannedLeg leg, (string Name, string? Restore)? callerName, string? callerNumber, PhoneRoute? route)
    {
        var confirm = leg.Confirm;
        var routed = route is not null && leg.Device.DialString is null;
        Span<(string Name, string Value)> variables =
        [
            ("leg_timeout", Number(leg.Timeout)),
            ("leg_delay_start", leg.Delay > 0 ? Number(leg.Delay) : ""),
            ("sip_h_Alert-Info", leg.AlertInfo ?? ""),
            (DeviceVariable, leg.Device.Id),
            (LegCallerIdName.ProfileVariable, callerName?.Name ?? ""),
            (LegCallerIdName.RestoreVariable, callerName?.Restore ?? ""),
            ("origination_caller_id_number", callerNumber ?? ""),
            ("presence_id", routed ? PhoneRoute.PresenceId(leg.Device) : ""),
            ("sip_invite_domain", routed ? leg.Device.SipRealm : ""),
            // Confirm before connect, per leg (switch_ivr_originate.c check_channel_status): an answered leg with
            // group_confirm_key runs collect_thread_run, which plays group_confirm_file and reads the key
            // (switch_ivr_read, 5 s a try, again until the key comes) while the others keep ringing; only a leg that
            // pressed it wins. group_confirm_timeout, read per leg, moves that leg's time limit to N seconds after
            // its answer, when check_per_channel_timeouts drops it (group_confirm_cancel_timeout is read only from
            // the {} globals, for every leg). rtp_liberal_dtmf lets a key sent as SIP INFO count: sofia.c
            // sofia_handle_sip_i_info queues INFO DTMF only with CF_LIBERAL_DTMF (set from that variable in
            // switch_core_media.c switch_core_media_negotiate_sdp), dtmf-type info or the profile's liberal-dtmf.
            ("group_confirm_key", confirm?.Key ?? ""),
            ("group_confirm_file", confirm?.Prompt ?? ""),
            ("group_confirm_timeout", confirm is null ? "" : Number(confirm.Timeout)),
            ("rtp_liberal_dtmf", confirm is null ? "" : "true"),
        ];

        var delimiter = Delimiters[0];
        var candidate = 0;
        var depth = 0;
        var lowest = 0;
        foreach (var (name, value) in variables)
        {
            if (value.Length == 0)
            {
                continue;
            }
            if (ChannelValue.Problem(value) is { } problem)
            {
                throw new ArgumentException($"{name} '{value}' {problem}", nameof(leg));
            }
            while (candidate < Delimiters.Length && value.Contains(Delimiters[candidate], StringComparison.Ordinal))
            {
                candidate++;
            }
            foreach (var c in value)
            {
                depth += c == '[' ? 1 : c == ']' ? -1 : 0;
                lowest = Math.Min(lowest, depth);
            }
        }
        // Every candidate in use still works (the delimiter is escaped in values); the first is then as good as any.
        if (candidate < Delimiters.Length)
        {
            delimiter = Delimiters[candidate];
        }

        text.Append("[^^").Append(delimiter);
        var opening = -lowest;
        var closing = opening + depth;
        if (opening > 0)
        {
            text.Append('[', opening).Append(delimiter);
        }
        var first = true;
        foreach (var (name, value) in variables)
        {
            if (value.Length == 0)
            {
                continue;
            }
            if (!first)
            {
                text.Append(delimiter);
            }
            first = false;
            text.Append(name).Append('=');
            AppendValue(text, value, delimiter);
        }
        if (closing > 0)
        {
            text.Append(delimiter).Append(']', closing);
        }
        text.Append(']').Append(routed ? route!.Endpoint(leg.Device) : leg.Endpoint);
    }

    /// <summary>The value through the four levels described on the class (most values need none of it).</summary>
    private static void AppendValue(StringBuilder text, string value, char delimiter)
    {
        if (value.AsSpan().IndexOfAny(['\\', '\'', ',', '|', delimiter]) < 0 && value[0] != ' ' && value[^1] != ' '
            && !value.Contains(":_", StringComparison.Ordinal))
        {
            text.Append(value);
            return;
        }

        var level = t_scratch ?? new StringBuilder(value.Length * 4);
        t_scratch = null;
        level.Clear();
        var leading = 0;
        while (leading < value.Length && value[leading] == ' ')
        {
            leading++;
        }
        var trailing = value.Length;
        while (trailing > leading && value[trailing - 1] == ' ')
        {
            trailing--;
        }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == ' ' && (i < leading || i >= trailing))
            {
                level.Append("\\s");
                continue;
            }
            if (c is '\\' or '\'')
            {
                level.Append('\\');
            }
            level.Append(c);
            if (c == ':' && i + 1 < value.Length && value[i + 1] == '_')
            {
                level.Append("''");
            }
        }
        var levelThree = Escape(level.ToString(), delimiter);
        var levelTwo = Escape(levelThree, ',');
        text.Append(Escape(levelTwo, '|'));
        if (level.Capacity <= MaxKeptBuilderCapacity)
        {
            t_scratch = level;
        }
    }

    /// <summary>One split level: backslash, quote and that split's delimiter get a backslash.</summary>
    private static string Escape(string text, char delimiter)
    {
        var escaped = new StringBuilder(text.Length * 2);
        foreach (var c in text)
        {
            if (c == '\\' || c == '\'' || c == delimiter)
            {
                escaped.Append('\\');
            }
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
