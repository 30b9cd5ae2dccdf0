using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace EslCallflow.Tests.Architecture;

/// <summary>
/// Which namespaces of an assembly use which, read from its metadata: every type's base type and interfaces, the
/// signatures of its fields, methods, properties and locals, and every type, method and field its IL names.
/// Compiler-made types (closures, async state machines) count for the type they are nested in.
/// </summary>
internal sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes).GetFields()
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    /// <summary>For each namespace, the namespaces it uses, each with one use that shows it (<c>Type -> Type</c>).</summary>
    public Dictionary<string, Dictionary<string, string>> Edges { get; } = new(StringComparer.Ordinal);

    /// <summary>The namespaces the assembly's own types are in, under <paramref name="root"/> (global and compiler-made ones left out).</summary>
    public static NamespaceGraph Of(string assemblyPath, string root)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var graph = new NamespaceGraph();
        var walker = new Walker(reader, pe, graph, root);
        foreach (var handle in reader.TypeDefinitions)
        {
            walker.Type(handle);
        }
        return graph;
    }

    public void Add(string from, string to, string evidence)
    {
        if (from == to)
        {
            return;
        }
        if (!Edges.TryGetValue(from, out var targets))
        {
            Edges[from] = targets = new Dictionary<string, string>(StringComparer.Ordinal);
        }
        targets.TryAdd(to, evidence);
    }

    /// <summary>The strongly connected groups of more than one namespace: each is a cycle (Tarjan's algorithm).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Cycles(IReadOnlyDictionary<string, IReadOnlyCollection<string>> edges)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<IReadOnlyList<string>>();
        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in edges.GetValueOrDefault(node) ?? [])
            {
                if (!index.TryGetValue(next, out var seen))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], seen);
                }
            }
            if (low[node] == index[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    group.Add(member);
                }
                while (member != node);
                if (group.Count > 1)
                {
                    cycles.Add([.. group.Order(StringComparer.Ordinal)]);
                }
            }
        }
        foreach (var node in edges.Keys.Concat(edges.Values.SelectMany(v => v)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }
        return cycles;
    }

    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> Targets() =>
        Edges.ToDictionary(p => p.Key, p => (IReadOnlyCollection<string>)p.Value.Keys, StringComparer.Ordinal);

    private sealed class Walker(MetadataReader reader, PEReader pe, NamespaceGraph graph, string root) : ISignatureTypeProvider<string?, object?>
    {
        private string _from = "";
        private string _fromType = "";

        public void Type(TypeDefinitionHandle handle)
        {
            var (ns, name) = NameOf(handle);
            if (!Own(ns))
            {
                return;
            }
            (_from, _fromType) = (ns, name);
            var type = reader.GetTypeDefinition(handle);
            Use(type.BaseType);
            foreach (var implemented in type.GetInterfaceImplementations())
            {
                Use(reader.GetInterfaceImplementation(implemented).Interface);
            }
            foreach (var field in type.GetFields())
            {
                Use(reader.GetFieldDefinition(field).DecodeSignature(this, null));
            }
            foreach (var property in type.GetProperties())
            {
                var signature = reader.GetPropertyDefinition(property).DecodeSignature(this, null);
                Use(signature.ReturnType);
                signature.ParameterTypes.ToList().ForEach(Use);
            }
            foreach (var method in type.GetMethods())
            {
                Method(reader.GetMethodDefinition(method));
            }
        }

        private void Method(MethodDefinition method)
        {
            var signature = method.DecodeSignature(this, null);
            Use(signature.ReturnType);
            signature.ParameterTypes.ToList().ForEach(Use);
            if (method.RelativeVirtualAddress == 0)
            {
                return;
            }
            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null).ToList().ForEach(Use);
            }
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE)
                {
                    code = (short)(0xFE00 | il.ReadByte());
                }
                switch (Operands[code])
                {
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        Use(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString or OperandType.ShortInlineR:
                        il.Offset += 4;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                }
            }
        }

        private void Use(EntityHandle handle)
        {
            if (handle.IsNil)
            {
                return;
            }
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Use(Name((TypeDefinitionHandle)handle));
                    break;
                case HandleKind.TypeSpecification:
                    Use(reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null));
                    break;
                case HandleKind.FieldDefinition:
                    Use(reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MethodDefinition:
                    Use(reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    Use(reader.GetMemberReference((MemberReferenceHandle)handle).Parent);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Use(spec.Method);
                    spec.DecodeSignature(this, null).ToList().ForEach(Use);
                    break;
            }
        }

        private void Use(string? type)
        {
            if (type is null)
            {
                return;
            }
            foreach (var part in type.Split('|', StringSplitOptions.RemoveEmptyEntries))
            {
                var ns = part[..Math.Max(0, part.LastIndexOf('.'))];
                if (Own(ns))
                {
                    graph.Add(_from, ns, $"{_from}.{_fromType} -> {part}");
                }
            }
        }

        private bool Own(string ns) => ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal);

        /// <summary>A type of this assembly as <c>Namespace.Name</c>; a nested type is its outermost type's.</summary>
        private string Name(TypeDefinitionHandle handle)
        {
            var (ns, name) = NameOf(handle);
            return ns.Length == 0 ? "" : $"{ns}.{name}";
        }

        private (string Namespace, string Name) NameOf(TypeDefinitionHandle handle)
        {
            var type = reader.GetTypeDefinition(handle);
            while (type.IsNested)
            {
                type = reader.GetTypeDefinition(type.GetDeclaringType());
            }
            return (reader.GetString(type.Namespace), reader.GetString(type.Name));
        }

        // Types are written as '|'-joined names of this assembly's types they involve (generic arguments included);
        // types of other assemblies are left out, as they cannot be on a cycle within this one.
        public string? GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle handle, byte rawTypeKind) => Name(handle);

        public string? GetTypeFromReference(MetadataReader r, TypeReferenceHandle handle, byte rawTypeKind) => null;

        public string? GetTypeFromSpecification(MetadataReader r, object? context, TypeSpecificationHandle handle, byte rawTypeKind) =>
            r.GetTypeSpecification(handle).DecodeSignature(this, context);

        public string? GetGenericInstantiation(string? genericType, ImmutableArray<string?> typeArguments) =>
            string.Join('|', typeArguments.Prepend(genericType).OfType<string>());

        public string? GetArrayType(string? elementType, ArrayShape shape) => elementType;

        public string? GetSZArrayType(string? elementType) => elementType;

        public string? GetByReferenceType(string? elementType) => elementType;

        public string? GetPointerType(string? elementType) => elementType;

        public string? GetPinnedType(string? elementType) => elementType;

        public string? GetModifiedType(string? modifier, string? unmodifiedType, bool isRequired) => unmodifiedType;

        public string? GetFunctionPointerType(MethodSignature<string?> signature) => null;

        public string? GetGenericMethodParameter(object? context, int index) => null;

        public string? GetGenericTypeParameter(object? context, int index) => null;

        public string? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;
    }
}
