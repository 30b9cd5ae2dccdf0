using System.Text.RegularExpressions;

namespace EslCallflow.Tests;

/// <summary>Source comments cite the behaviour contract in this repository, and what they cite is in it.</summary>
public partial class ContractCitationTests
{
    [GeneratedRegex(@"(?<path>[\w./]*behaviour\.md)(?:[^\n]*?(?<section>ring_group|group_pickup) rules? (?<rule>\d+))?")]
    private static partial Regex Citation();

    [Fact]
    public void Every_citation_of_the_behaviour_contract_names_docs_behaviour_md_and_a_rule_it_has()
    {
        var contract = File.ReadAllText(RepositoryFiles.PathOf("docs/behaviour.md"));
        var sources = Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var citations = sources.SelectMany(f => Citation().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Match: m))).ToList();

        Assert.NotEmpty(citations);
        Assert.All(citations, c => Assert.Equal("docs/behaviour.md", c.Match.Groups["path"].Value));
        foreach (var (file, match) in citations.Where(c => c.Match.Groups["rule"].Success))
        {
            var section = contract[contract.IndexOf($"## {match.Groups["section"].Value}", StringComparison.Ordinal)..];
            Assert.True(Regex.IsMatch(section, $@"^{match.Groups["rule"].Value}\. ", RegexOptions.Multiline), $"{file} cites {match.Value}, which docs/behaviour.md does not have");
        }
    }
}
