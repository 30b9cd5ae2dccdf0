using EslCallflow.Testing.FreeSwitchModel;

namespace EslCallflow.Testing;

/// <summary>A leg FreeSWITCH would create: its <c>[...]</c> variables, the <c>{...}</c> ones, what its channel ends up with, and the endpoint.</summary>
public sealed record ParsedLeg(
    IReadOnlyDictionary<string, string> Variables,
    IReadOnlyDictionary<string, string> Globals,
    IReadOnlyDictionary<string, string> ChannelVariables,
    IReadOnlyList<string> RefusedVariables,
    string Endpoint,
    int Group)
{
    /// <summary>The caller id name the leg's caller profile gets (switch_ivr_originate.c: from the {} and [] variables merged, [] winning, never var-checked).</summary>
    public string? CallerIdName { get; init; }

    public string? CallerIdNumber { get; init; }
}

/// <summary>One <c>switch_ivr_originate</c> run: its global variables and its legs, grouped by <c>|</c> (rung one group after another).</summary>
public sealed record ParsedOriginate(IReadOnlyDictionary<string, string> Globals, IReadOnlyList<IReadOnlyList<ParsedLeg>> Groups, string? Error);

/// <summary>What a bridge argument becomes in FreeSWITCH: the expanded text, and one originate (or several, for <c>:_:</c>).</summary>
public sealed record ParsedDialString(
    string Expanded,
    IReadOnlyList<string> ApiCalls,
    IReadOnlyList<string> VariablesExpanded,
    bool Enterprise,
    IReadOnlyList<ParsedOriginate> Originates)
{
    public IReadOnlyList<ParsedLeg> Legs => Originates.SelectMany(o => o.Groups.SelectMany(g => g)).ToList();

    public IReadOnlyDictionary<string, string> Globals => Originates[0].Globals;

    /// <summary>'|' when legs ring in turn, ',' when one group rings several at once, null for a single leg.</summary>
    public char? Separator => Originates.Count == 1 && Originates[0].Groups.Count > 1 ? '|' : Legs.Count > 1 ? ',' : null;
}

/// <summary>A dial string FreeSWITCH refuses ("Parse Error!" and the like): the bridge fails.</summary>
public sealed class FreeSwitchDialStringException(string message) : Exception(message);

/// <summary>
/// How FreeSWITCH 1.10.12 reads a <c>bridge</c> application argument sent with <c>sendmsg execute</c>, step by
/// step as its C code does it, on one mutable buffer (the steps read what earlier ones cut and copied):
/// <list type="number">
/// <item>switch_core_session.c <c>switch_core_session_exec</c>: the argument goes through
///   <c>switch_channel_expand_variables</c> (<see cref="VariableExpansion"/>): <c>${...}</c> expands, <c>\\</c> and <c>\'</c> are consumed;
///   a result starting <c>%[</c> or <c>%X[</c> sets scoped variables.</item>
/// <item>mod_dptools.c <c>audio_bridge_function</c> hands the text to <c>switch_ivr_originate</c> unchanged.</item>
/// <item>switch_ivr_originate.c <c>switch_ivr_originate</c>: <c>:_:</c> anywhere makes it an enterprise originate
///   (<c>switch_ivr_enterprise_originate</c>: <c>&lt;...&gt;</c> blocks, then <c>switch_separate_string_string</c> on <c>:_:</c>, each part
///   originated on its own). Otherwise <c>&lt;...&gt;</c> and <c>{...}</c> blocks fill the global variables
///   (<c>switch_event_create_brackets</c>), the rest is split on <c>|</c> (<c>switch_separate_string</c>, which strips one level of
///   quotes and escapes from each part), commas inside each <c>[...]</c> are marked (kept for <c>[^^X</c> blocks or inside quotes,
///   split points otherwise, never after a backslash), the part is split on <c>,</c> (another level of quotes and escapes),
///   and each leg's <c>[...]</c> blocks become its variables (<c>switch_event_create_brackets</c> with the marked comma or
///   the <c>^^X</c> delimiter: a third level, then the <c>=</c> split: a fourth). The rest, after spaces, is the endpoint.</item>
/// <item>The leg's channel gets the {} variables and the [] ones, [] winning when <c>local_var_clobber</c> is true; with
///   variable checking on (unless <c>origination_nested_vars=true</c> appears anywhere in the text) a value holding <c>${</c>
///   is refused (<c>switch_channel_set_variable_var_check</c>).</item>
/// </list>
/// </summary>
public static class FreeSwitchDialString
{
    /// <summary>switch_ivr_originate.c: <c>#define MAX_PEERS 128</c> (the |, , and :_: arrays).</summary>
    public const int MaxPeers = 128;

    /// <summary>switch_ivr_originate.c: <c>#define QUOTED_ESC_COMMA 1</c>, <c>#define UNQUOTED_ESC_COMMA 2</c>.</summary>
    private const char QuotedEscComma = '\u0001';
    private const char UnquotedEscComma = '\u0002';

    /// <summary>switch_types.h: <c>#define SWITCH_ENT_ORIGINATE_DELIM ":_:"</c>.</summary>
    private const string EnterpriseDelimiter = ":_:";

    /// <param name="bridgeArgument">The <c>execute-app-arg</c> as sent.</param>
    /// <param name="channelVariables">The caller channel's variables, for <c>${...}</c> (none by default).</param>
    public static ParsedDialString Parse(string bridgeArgument, IReadOnlyDictionary<string, string>? channelVariables = null)
    {
        var expansion = VariableExpansion.Expand(bridgeArgument, channelVariables);
        var data = expansion.Text;
        if (data.Length > 1 && data[0] == '%' && (data[1] == '[' || (data.Length > 2 && data[2] == '[')))
        {
            // switch_core_session_exec: "%[vars]rest" or "%X[vars]rest" sets scoped variables, the app gets the rest.
            var scoped = new CBuffer(data[1] == '[' ? data[1..] : data[2..]);
            var rest = SwitchEvent.CreateBrackets(scoped, 0, '[', ']', data[1] == '[' ? ',' : data[1], new VarEvent());
            data = rest < 0 ? data : scoped.Str(rest);
        }
        if (data.Length == 0)
        {
            // mod_dptools.c audio_bridge_function: zstr(data) returns at once.
            throw new FreeSwitchDialStringException("bridge with an empty argument does nothing");
        }

        if (data.Contains(EnterpriseDelimiter, StringComparison.Ordinal))
        {
            return new ParsedDialString(data, expansion.ApiCalls, expansion.Variables, true, EnterpriseOriginate(data));
        }
        var single = Originate(data, null);
        if (single.Error is { } error)
        {
            throw new FreeSwitchDialStringException(error);
        }
        return new ParsedDialString(data, expansion.ApiCalls, expansion.Variables, false, [single]);
    }

    /// <summary>
    /// The dial string of an <c>originate</c> api command's arguments: mod_commands.c <c>originate_function</c> splits
    /// them on spaces (switch_separate_string with ' ': quotes keep text together and are removed) and dials the first.
    /// </summary>
    public static string OriginateDialString(string apiArguments)
    {
        var b = new CBuffer(apiArguments);
        return b.Str(SwitchUtils.SeparateString(b, 0, ' ', 80)[0]);
    }

    /// <summary>switch_ivr_originate.c <c>switch_ivr_enterprise_originate</c>.</summary>
    private static List<ParsedOriginate> EnterpriseOriginate(string bridgeto)
    {
        var b = new CBuffer(bridgeto);
        var data = 0;
        while (b[data] == ' ')
        {
            data++;
        }
        var ultraGlobals = new VarEvent();
        while (b[data] == '<')
        {
            var parsed = SwitchEvent.CreateBrackets(b, data, '<', '>', ',', ultraGlobals);
            if (parsed < 0)
            {
                return [new ParsedOriginate(new Dictionary<string, string>(), [], "Parse Error!")];
            }
            data = parsed;
        }
        while (b[data] == ' ')
        {
            data++;
        }
        ultraGlobals.Add("ignore_early_media", "true");
        return SwitchUtils.SeparateStringString(b, data, EnterpriseDelimiter, MaxPeers)
            .Select(part => Originate(b.Str(part), ultraGlobals.Copy()))
            .ToList();
    }

    /// <summary>switch_ivr_originate.c <c>switch_ivr_originate</c>, the dial-string half (no dial handle).</summary>
    private static ParsedOriginate Originate(string bridgeto, VarEvent? ovars)
    {
        var b = new CBuffer(bridgeto);
        var data = 0;
        var globals = ovars ?? new VarEvent();
        while (b[data] == ' ')
        {
            data++;
        }
        var checkVars = !(SwitchUtils.True(ovars?.Get("origination_nested_vars")) || SwitchUtils.Stristr("origination_nested_vars=true", b.Str(data)));

        if (b[data] == '<')
        {
            while (b[data] == '<')
            {
                var parsed = SwitchEvent.CreateBrackets(b, data, '<', '>', ',', globals);
                if (parsed < 0)
                {
                    return Failed(globals, "Parse Error!");
                }
                data = parsed;
            }
        }
        while (b[data] == '{')
        {
            var parsed = SwitchEvent.CreateBrackets(b, data, '{', '}', ',', globals);
            if (parsed < 0)
            {
                return Failed(globals, "Parse Error!");
            }
            data = parsed;
        }
        while (b[data] == ' ')
        {
            data++;
        }
        if (b[data] == '\0')
        {
            return Failed(globals, "No origination URL specified!");
        }

        // loop_data = strdup(data): the | and , splits and the [] blocks all work in this one copy.
        var loop = new CBuffer(b.Str(data));
        var groups = new List<IReadOnlyList<ParsedLeg>>();
        var pipeNames = SwitchUtils.SeparateString(loop, 0, '|', MaxPeers);
        for (var r = 0; r < pipeNames.Count; r++)
        {
            MarkBracketCommas(loop, pipeNames[r]);
            var legs = new List<ParsedLeg>();
            foreach (var peer in SwitchUtils.SeparateString(loop, pipeNames[r], ',', MaxPeers))
            {
                var chanType = peer;
                while (loop[chanType] == ' ')
                {
                    chanType++;
                }
                var local = new VarEvent();
                while (loop[chanType] == '[')
                {
                    var bend = SwitchUtils.FindEndParen(loop, chanType, '[', ']');
                    for (var p = chanType + 1; bend >= 0 && p < bend && loop[p] != '\0'; p++)
                    {
                        if (loop[p] == QuotedEscComma)
                        {
                            loop[p] = ',';
                        }
                    }
                    var parsed = SwitchEvent.CreateBrackets(loop, chanType, '[', ']', UnquotedEscComma, local);
                    if (parsed < 0 || parsed == chanType)
                    {
                        return Failed(globals, "Parse Error!");
                    }
                    chanType = parsed;
                }
                while (loop[chanType] == ' ')
                {
                    chanType++;
                }
                legs.Add(Leg(globals, local, checkVars, loop.Str(chanType), r));
            }
            groups.Add(legs);
        }
        return new ParsedOriginate(ToDictionary(globals), groups, null);
    }

    /// <summary>
    /// switch_ivr_originate.c, before the ',' split: inside each [...] (found with switch_find_end_paren), a comma
    /// not after a backslash becomes QUOTED_ESC_COMMA (inside quotes, or anywhere in a [^^X block: restored to ','
    /// before the block is read) or UNQUOTED_ESC_COMMA (the block's own separator).
    /// </summary>
    private static void MarkBracketCommas(CBuffer b, int p)
    {
        var end = -1;
        var quoted = false;
        var alternative = false;
        while (b[p] != '\0')
        {
            if (end < 0 && b[p] == '[')
            {
                end = SwitchUtils.FindEndParen(b, p, '[', ']');
                alternative = b[p + 1] == '^' && b[p + 2] == '^';
                quoted = false;
            }
            if (b[p] == '\'')
            {
                quoted = !quoted;
            }
            if (end >= 0 && p < end && b[p] == ',' && b[p - 1] != '\\')
            {
                b[p] = quoted || alternative ? QuotedEscComma : UnquotedEscComma;
            }
            if (p == end)
            {
                end = -1;
            }
            p++;
        }
    }

    /// <summary>
    /// switch_ivr_originate.c: with local_var_clobber the {} variables go on the channel first and the [] ones
    /// after (so [] win), without it the other way round; each through switch_channel_set_variable_var_check.
    /// The caller profile's id comes from the {} event merged with the [] one (switch_event_merge, [] winning).
    /// </summary>
    private static ParsedLeg Leg(VarEvent globals, VarEvent local, bool checkVars, string endpoint, int group)
    {
        var channel = new VarEvent();
        var refused = new List<string>();
        var clobber = SwitchUtils.True(globals.Get("local_var_clobber"));
        void Install(VarEvent from)
        {
            foreach (var (name, value) in from.Entries)
            {
                if (value.Length > 0 && checkVars && SwitchUtils.VarCheckConst(value))
                {
                    refused.Add(name);
                }
                else
                {
                    channel.Add(name, value);
                }
            }
        }
        if (clobber)
        {
            Install(globals);
        }
        Install(local);
        if (!clobber)
        {
            Install(globals);
        }
        var merged = globals.Copy();
        foreach (var (name, value) in local.Entries)
        {
            merged.Add(name, value);
        }
        return new ParsedLeg(ToDictionary(local), ToDictionary(globals), ToDictionary(channel), refused, endpoint, group)
        {
            CallerIdName = merged.Get("origination_caller_id_name"),
            CallerIdNumber = merged.Get("origination_caller_id_number"),
        };
    }

    private static ParsedOriginate Failed(VarEvent globals, string error) => new(ToDictionary(globals), [], error);

    private static Dictionary<string, string> ToDictionary(VarEvent e)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in e.Entries)
        {
            result[name] = value;
        }
        return result;
    }
}
