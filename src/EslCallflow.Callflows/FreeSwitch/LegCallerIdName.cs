namespace EslCallflow.Callflows.FreeSwitch;

/// <summary>
/// The leg variables that make a caller id name reach the rung phone whole, and FreeSWITCH's caller profile of the
/// leg hold it whole. Any name shown to members goes through here (a device's caller id, and a prefixed name).
/// <para>
/// Why one variable is not enough: mod_sofia.c <c>sofia_outgoing_channel</c> copies the new leg's caller profile
/// (whose name is <c>origination_caller_id_name</c>, switch_ivr_originate.c) and runs its name through switch_utils.h
/// <c>switch_sanitize_number</c>, which cuts it at the first '@' and then keeps only what follows the last '/' and then
/// the last ':'. sofia_glue.c <c>sofia_glue_do_invite</c> writes that profile name into the From display name and the
/// Remote-Party-ID / P-Asserted-Identity, so <c>Sales/Support</c> would show <c>Support</c>, <c>Sales: Alice</c> would
/// show <c> Alice</c> and <c>a@b</c> would show <c>a</c>, on <c>user/</c> and <c>sofia/</c> legs alike.
/// </para>
/// <para>
/// So a name holding any of those also gets <see cref="RestoreVariable"/>, which runs <c>set_profile_var
/// caller_id_name=...</c> (mod_dptools.c <c>set_profile_var_function</c>) on the new leg: switch_ivr_originate.c runs
/// every variable whose name starts with <c>execute_on_originate</c> (switch_channel.c <c>switch_channel_execute_on</c>)
/// once the endpoint has made the leg and before the leg's thread starts, hence before mod_sofia sends the INVITE; a
/// <c>user/</c> leg is made by a nested originate (mod_dptools.c <c>user_outgoing_channel</c>) that runs it too, also
/// before that thread starts. Its own name leaves any <c>execute_on_originate</c> of the administrator's alone.
/// <c>switch_channel_execute_on_value</c> takes the application name up to the first space; the argument is then
/// expanded once (switch_core_session.c <c>switch_core_session_exec</c>, hence <see cref="AppArgument.Encode"/>) and
/// split once on '=' by set_profile_var. Names without '/', ':' or '@' need none of this and get none of it.
/// </para>
/// </summary>
public static class LegCallerIdName
{
    /// <summary>Sets the new leg's caller profile name (switch_ivr_originate.c), before mod_sofia cuts it.</summary>
    public const string ProfileVariable = "origination_caller_id_name";

    /// <summary>Puts the whole name back into the leg's caller profile after mod_sofia cut it, before the INVITE.</summary>
    public const string RestoreVariable = "execute_on_originate_eslcallflow_cid";

    /// <summary>The characters after which switch_sanitize_number (switch_utils.h) cuts a caller id.</summary>
    public const string CutCharacters = "/:@";

    /// <summary>
    /// The two values for a leg that must show <paramref name="name"/>: <see cref="ProfileVariable"/>'s, and
    /// <see cref="RestoreVariable"/>'s (null when FreeSWITCH would not cut the name). Both are the text as written on
    /// the channel; the dial string encodes them for its own splits.
    /// </summary>
    public static (string Name, string? Restore) Values(string name)
    {
        if (ChannelValue.Problem(name) is { } problem)
        {
            throw new ArgumentException($"caller id name '{name}' {problem}", nameof(name));
        }
        var encoded = SipDisplayName.Encode(name);
        return (encoded, IsCut(encoded) ? "set_profile_var " + AppArgument.Encode("caller_id_name=" + encoded) : null);
    }

    /// <summary>Whether mod_sofia would change <paramref name="profileName"/> (switch_sanitize_number's first test).</summary>
    public static bool IsCut(string profileName) => profileName.AsSpan().IndexOfAny(CutCharacters) >= 0;
}
