using System.Globalization;
using System.Text;

namespace EslCallflow.Metrics;

/// <summary>The Prometheus text exposition format 0.0.4, as <c>/metrics</c> writes it.</summary>
internal static class PrometheusText
{
    public static void Family(StringBuilder text, string name, string help, string type) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public static void Sample(StringBuilder text, string name, string? labels, long value)
    {
        text.Append(name);
        if (labels is not null)
        {
            text.Append('{').Append(labels).Append('}');
        }
        text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
