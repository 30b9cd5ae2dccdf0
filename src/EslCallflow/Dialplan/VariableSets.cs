using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Dialplan;

/// <summary>
/// Consecutive <c>set</c> and <c>multiset</c> actions of a document, written as one <c>multiset</c> when every value is
/// plain. Each application FreeSWITCH runs costs it a CHANNEL_EXECUTE and a CHANNEL_EXECUTE_COMPLETE, each carrying
/// every channel variable (switch_channel.c <c>switch_channel_event_set_data</c>), and its log lines; the variables
/// end up the same, set in the same order.
/// </summary>
/// <remarks>
/// mod_dptools.c <c>multiset_function</c> splits its argument on spaces with switch_utils.c
/// <c>switch_separate_string</c>, which also reads quotes and backslashes, then hands each piece to <c>base_set</c>,
/// as <c>set</c> hands its whole argument. A piece is therefore folded only when none of that can touch it: no space,
/// quote, apostrophe, backslash or '$' (then <see cref="EslCallflow.Callflows.FreeSwitch.AppArgument"/> left it as it
/// is too), and a <c>multiset</c> is joined only in its plain space-separated form (no <c>^^</c> delimiter).
/// </remarks>
public static partial class VariableSets
{
    private const int MaxPieces = 256;

    public static IReadOnlyList<PlannedCommand> Folded(IReadOnlyList<PlannedCommand> commands)
    {
        var pieces = commands.Select(Pieces).ToList();
        List<PlannedCommand>? folded = null;
        for (var i = 0; i < commands.Count; i++)
        {
            var run = i;
            while (run < commands.Count && pieces[run] is not null)
            {
                run++;
            }
            // multiset_function splits into at most 256 pieces (its array[256]): past that the rest would be one value.
            run = Math.Min(run, i + MaxPieces);
            if (run - i < 2)
            {
                folded?.Add(commands[i]);
                continue;
            }
            folded ??= [.. commands.Take(i)];
            folded.Add(new PlannedCommand("multiset", string.Join(' ', pieces.Skip(i).Take(run - i))));
            i = run - 1;
        }
        return folded ?? commands;
    }

    /// <summary>What <paramref name="command"/> sets, as multiset pieces; null when it is not a set that can be folded.</summary>
    private static string? Pieces(PlannedCommand command) => command switch
    {
        { Application: "set", Argument: { } argument } when IsPlain(argument) => argument,
        { Application: "multiset", Argument: { } argument } when !argument.TrimStart().StartsWith("^^", StringComparison.Ordinal)
            && argument.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } pieces && pieces.All(IsPlain) => string.Join(' ', pieces),
        _ => null,
    };

    /// <summary>
    /// A name as the daemon writes them (no leading <c>^^</c>, which would change the delimiter, nor <c>%[</c>, which
    /// switch_core_session.c reads as scoped variables, when it comes first), then a value with nothing
    /// switch_separate_string or expansion would act on.
    /// </summary>
    private static bool IsPlain(string piece) =>
        PlainName().IsMatch(piece) && !piece.AsSpan().ContainsAny(" '\"\\$") && !piece.AsSpan().ContainsAnyInRange('\0', '\x1F') && !piece.Contains('\x7F');

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*=")]
    private static partial System.Text.RegularExpressions.Regex PlainName();
}
