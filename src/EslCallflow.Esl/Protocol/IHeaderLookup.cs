namespace EslCallflow.Esl.Protocol;

/// <summary>Headers kept undecoded, each value decoded when it is asked for.</summary>
internal interface IHeaderLookup
{
    /// <summary>The last value named <paramref name="name"/> (FreeSWITCH's own lookup keeps the last), or null.</summary>
    string? Find(string name);

    /// <summary>Every header decoded, for enumeration.</summary>
    Dictionary<string, string> Materialize();
}
