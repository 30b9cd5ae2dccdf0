namespace EslCallflow.Callflows.RingGroups;

/// <summary>
/// A true weighted draw without replacement: each next place goes to a remaining item with probability
/// weight / (sum of remaining weights). Beyond KAZOO, whose weighted_random is not proportional.
/// </summary>
public static class WeightedOrder
{
    public static List<T> Draw<T>(IReadOnlyList<T> items, Func<T, int> weight, Random random)
    {
        var remaining = items.ToList();
        var weights = remaining.Select(i => (long)Math.Clamp(weight(i), 1, 100)).ToList();
        var total = weights.Sum();
        var order = new List<T>(items.Count);
        while (remaining.Count > 0)
        {
            var ticket = random.NextInt64(total);
            var pick = 0;
            while (ticket >= weights[pick])
            {
                ticket -= weights[pick];
                pick++;
            }
            order.Add(remaining[pick]);
            total -= weights[pick];
            remaining.RemoveAt(pick);
            weights.RemoveAt(pick);
        }
        return order;
    }
}
