using EslCallflow.Delivery;
using Microsoft.Extensions.Options;

namespace EslCallflow.Records;

/// <summary>
/// A webhook subscribes to events by the names call records go out as (<see cref="CallEventType"/>): checked here,
/// where those names are known, with the rest of <see cref="DeliveryOptions"/> at start.
/// </summary>
public sealed class WebhookEventNames : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IEnumerable<string> Problems(DeliveryOptions options)
    {
        for (var i = 0; i < options.Webhooks.Count; i++)
        {
            var hook = options.Webhooks[i];
            foreach (var unknown in hook.Events.Where(e => !CallEventType.All.Contains(e, StringComparer.Ordinal)))
            {
                yield return $"{DeliveryOptions.Section}:Webhooks:{i} ({hook.Name}): unknown event '{unknown}' (known: {string.Join(", ", CallEventType.All)})";
            }
        }
    }
}
