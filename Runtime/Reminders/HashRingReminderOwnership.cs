using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using OrleansConnect.Runtime.Membership;

namespace OrleansConnect.Runtime.Reminders;

/// <summary>Consistent hash ring over the active silos (Orleans' reminder service ranges): each silo holds
/// <see cref="VirtualNodes"/> points; a grain belongs to the first point at or after its hash. Every silo builds the
/// same ring from the same membership table, so each reminder fires on one silo; when a silo joins or leaves only
/// the grains of its ranges move.</summary>
internal sealed class HashRingReminderOwnership(ClusterMembership membership) : IReminderOwnership
{
    private const int VirtualNodes = 64;
    private volatile Ring? _ring;

    public bool IsOwnedLocally(GrainId grainId) => OwnerOf(grainId) == membership.LocalSiloId;

    /// <summary>The active silo owning <paramref name="grainId"/>, or null when no silo is active.</summary>
    public string? OwnerOf(GrainId grainId)
    {
        var silos = membership.ActiveSilos;
        var ring = _ring;
        if (ring is null || !ring.Silos.SequenceEqual(silos)) _ring = ring = new Ring(silos);
        return ring.Owner(Hash(grainId.ToString()));
    }

    internal static uint Hash(string value) => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    private sealed class Ring
    {
        private readonly uint[] _points;
        private readonly string[] _owners;

        public Ring(IReadOnlyList<string> silos)
        {
            Silos = silos.ToList();
            var points = silos.SelectMany(s => Enumerable.Range(0, VirtualNodes).Select(i => (Point: Hash($"{s}#{i}"), Silo: s)))
                .OrderBy(p => p.Point).ThenBy(p => p.Silo, StringComparer.Ordinal).ToArray();
            _points = points.Select(p => p.Point).ToArray();
            _owners = points.Select(p => p.Silo).ToArray();
        }

        public List<string> Silos { get; }

        public string? Owner(uint hash)
        {
            if (_points.Length == 0) return null;
            var index = Array.BinarySearch(_points, hash);
            if (index < 0) index = ~index;
            return _owners[index == _points.Length ? 0 : index];
        }
    }
}
