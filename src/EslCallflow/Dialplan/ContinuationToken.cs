using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using EslCallflow.Callflows;
using EslCallflow.Callflows.Documents;

namespace EslCallflow.Dialplan;

/// <summary>
/// Where a call's flow waits for a result: the callflow, the node (the child keys from that callflow's root) and
/// the ring attempt that ran. It is the destination the daemon's XML transfers the call to, in
/// <see cref="DialplanOptions.NextContext"/>, once the result is known (the bridge failed, the intercept took
/// nothing): the next fetch carries it back with the result in the channel's variables. The daemon keeps each
/// call's state in memory; the token is what lets a daemon restarted in between carry on.
/// </summary>
/// <remarks>
/// A JSON array (any child key, whatever it holds), written as base64url (letters, digits, '-' and '_'), so it is one word for the <c>transfer</c> application
/// (mod_dptools.c <c>transfer_function</c> splits its argument on spaces), nothing for argument expansion to act on,
/// and a plain destination number for every log and CDR that shows it.
/// </remarks>
public sealed record ContinuationToken(string CallflowId, IReadOnlyList<string> Path, int Attempt)
{
    public string Encode() =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes<string[]>([Attempt.ToString(CultureInfo.InvariantCulture), CallflowId, .. Path]));

    /// <summary>The token in <paramref name="destination"/>, or null when it is not one this daemon wrote.</summary>
    public static ContinuationToken? Decode(string destination)
    {
        if (destination.Length is 0 or > 8192 || !Base64Url.IsValid(destination))
        {
            return null;
        }
        string[]? parts;
        try
        {
            parts = JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(destination));
        }
        catch (JsonException)
        {
            return null;
        }
        return parts is [var attemptText, var callflowId, ..] && parts.All(p => p is not null)
            && int.TryParse(attemptText, NumberStyles.None, CultureInfo.InvariantCulture, out var attempt) && attempt >= 1
            ? new ContinuationToken(callflowId, parts[2..], attempt)
            : null;
    }

    /// <summary>The node the token names in <paramref name="config"/>, or null when that configuration has no such node.</summary>
    public FlowNode? Resolve(PbxConfiguration config)
    {
        if (!config.Callflows.TryGetValue(CallflowId, out var callflow))
        {
            return null;
        }
        var node = callflow.Flow;
        foreach (var key in Path)
        {
            if (node.Child(key) is not { } child)
            {
                return null;
            }
            node = child;
        }
        return node;
    }
}
