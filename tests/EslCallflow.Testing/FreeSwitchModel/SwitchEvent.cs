namespace EslCallflow.Testing.FreeSwitchModel;

/// <summary>Port of switch_event.c <c>switch_event_create_brackets</c> (FreeSWITCH 1.10.12).</summary>
internal static class SwitchEvent
{
    /// <summary>switch_event.c: <c>char *var_array[1024]</c>.</summary>
    private const int MaxVariables = 1024;

    /// <summary>
    /// Reads one <paramref name="open"/>...<paramref name="close"/> block at <paramref name="data"/> into
    /// <paramref name="into"/> and returns the index just after it, or -1 (FreeSWITCH's "Parse Error!").
    /// The block's end is <c>switch_find_end_paren</c> (nesting only, quotes ignored). Its content is split with
    /// <c>switch_separate_string</c> on <paramref name="separator"/>, or on X when it starts with <c>^^X</c>;
    /// each element is split once on '=' (again <c>switch_separate_string</c>, array length 2): an element
    /// without a value is ignored, the rest becomes a variable.
    /// </summary>
    public static int CreateBrackets(CBuffer b, int data, char open, char close, char separator, VarEvent into)
    {
        var vdata = data;
        var end = SwitchUtils.FindEndParen(b, vdata, open, close);
        var checkA = end;
        while (checkA >= 0)
        {
            // The C loop looks for another block right after this one; it starts on the close character, which
            // is never the open one, so it stops at once (the port keeps it for fidelity).
            var checkB = SwitchUtils.StrchrStrictSpaces(b, checkA, open);
            if (checkB < 0)
            {
                break;
            }
            checkB = SwitchUtils.FindEndParen(b, checkB, open, close);
            if (checkB < 0 || checkB == checkA)
            {
                throw new FreeSwitchDialStringException("switch_event_create_brackets would loop for ever on this block");
            }
            checkA = checkB;
        }
        if (checkA >= 0)
        {
            end = checkA;
        }
        int next;
        if (end >= 0)
        {
            next = end;
            vdata++;
            b[end++] = '\0';
        }
        else
        {
            return -1;
        }

        var vnext = -1;
        for (; ; )
        {
            if (next >= 0)
            {
                b[next++] = '\0';
                var pnext = SwitchUtils.StrchrStrictSpaces(b, next, open);
                if (pnext >= 0)
                {
                    next = pnext + 1;
                }
                vnext = SwitchUtils.FindEndParen(b, next, open, close);
                next = -1;
            }

            if (b[vdata] == '^' && b[vdata + 1] == '^')
            {
                vdata += 2;
                separator = b[vdata++];
            }

            foreach (var element in SwitchUtils.SeparateString(b, vdata, separator, MaxVariables))
            {
                var pair = SwitchUtils.SeparateString(b, element, '=', 2);
                if (pair.Count == 2)
                {
                    into.Add(b.Str(pair[0]), b.Str(pair[1]));
                }
            }

            if (vnext >= 0)
            {
                vdata = vnext;
                vnext = -1;
            }
            else
            {
                break;
            }
        }
        return end;
    }
}
