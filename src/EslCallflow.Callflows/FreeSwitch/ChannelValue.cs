namespace EslCallflow.Callflows.FreeSwitch;

/// <summary>
/// What no encoding can carry into a FreeSWITCH channel variable (the dial string carries everything else,
/// see <see cref="RingGroups.DialString"/>). Validation refuses these at load; the dial-string builder refuses them too.
/// </summary>
public static class ChannelValue
{
    /// <summary>Why <paramref name="value"/> cannot become a channel variable as written, or null.</summary>
    public static string? Problem(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                // A newline ends the ESL command line (mod_event_socket.c read_packet); \x01 and \x02 are originate's
                // own comma markers (switch_ivr_originate.c QUOTED_ESC_COMMA / UNQUOTED_ESC_COMMA); NUL ends a C string.
                return "must not contain control characters (newline, tab, NUL)";
            }
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return "is not valid Unicode (a lone surrogate cannot be sent as UTF-8)";
            }
        }
        if (AppArgument.HasVariable(value))
        {
            // switch_channel.c switch_channel_set_variable_var_check refuses such a value on the new leg
            // (switch_string_var_check_const), and anywhere else it would be expanded as a variable or an API call.
            return "must not contain '${' (FreeSWITCH refuses a channel variable that holds one)";
        }
        if (value.StartsWith("ARRAY::", StringComparison.Ordinal))
        {
            // switch_event.c switch_event_base_add_header stores such a value as an array (switch_event_add_array).
            return "must not start with 'ARRAY::' (FreeSWITCH turns such a variable into an array)";
        }
        return null;
    }
}
