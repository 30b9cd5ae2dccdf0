using EslCallflow.Callflows.RingGroups;

namespace EslCallflow.Callflows.Tests;

public class WeightedOrderTests
{
    private const int Draws = 20_000;

    // Chi-square critical value for p = 0.001 by degrees of freedom (1..4).
    private static readonly double[] Critical = [0, 10.83, 13.82, 16.27, 18.47];

    [Theory]
    [InlineData(new[] { 10, 30, 60 })]
    [InlineData(new[] { 1, 3 })]
    [InlineData(new[] { 20, 20, 20, 20 })]
    [InlineData(new[] { 100, 1, 50, 25, 5 })]
    public void First_place_share_is_proportional_to_weight(int[] weights)
    {
        var random = new Random(7);
        var firsts = new int[weights.Length];
        for (var i = 0; i < Draws; i++)
        {
            firsts[WeightedOrder.Draw(Enumerable.Range(0, weights.Length).ToList(), k => weights[k], random)[0]]++;
        }

        Assert.True(ChiSquare(firsts, weights) < Critical[weights.Length - 1], $"first places {string.Join(",", firsts)} are not proportional to {string.Join(",", weights)}");
    }

    [Fact]
    public void The_check_rejects_kazoos_sort_by_random_times_weight()
    {
        int[] weights = [1, 3];
        var random = new Random(7);
        var firsts = new int[weights.Length];
        for (var i = 0; i < Draws; i++)
        {
            var order = Enumerable.Range(0, weights.Length).OrderByDescending(k => random.NextDouble() * weights[k]).ToList();
            firsts[order[0]]++;
        }

        Assert.True(ChiSquare(firsts, weights) > Critical[1], "a non-proportional draw must fail the same check");
    }

    [Fact]
    public void Every_item_appears_exactly_once()
    {
        var order = WeightedOrder.Draw(Enumerable.Range(0, 50).ToList(), k => k % 100 + 1, new Random(3));
        Assert.Equal(Enumerable.Range(0, 50), order.Order());
    }

    private static double ChiSquare(int[] observed, int[] weights)
    {
        var total = weights.Sum();
        return observed.Select((o, i) =>
        {
            var expected = (double)Draws * weights[i] / total;
            return (o - expected) * (o - expected) / expected;
        }).Sum();
    }
}
