using System.Globalization;

namespace VCluster.Engine.Network;

public readonly record struct Ipv4Address(uint Value) : IComparable<Ipv4Address>
{
    public static bool TryParse(string? text, out Ipv4Address address)
    {
        address = default;
        var parts = (text ?? "").Trim().Split('.');
        if (parts.Length != 4)
            return false;
        uint value = 0;
        foreach (var part in parts)
        {
            // Leading zeros are refused: inet_aton reads them as octal, Ganeti as decimal.
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit))
                return false;
            var octet = int.Parse(part, CultureInfo.InvariantCulture);
            if (octet > 255)
                return false;
            value = (value << 8) | (uint)octet;
        }
        address = new Ipv4Address(value);
        return true;
    }

    public Ipv4Address Add(uint offset) => new(Value + offset);

    public int CompareTo(Ipv4Address other) => Value.CompareTo(other.Value);

    public override string ToString() =>
        $"{Value >> 24}.{(Value >> 16) & 255}.{(Value >> 8) & 255}.{Value & 255}";
}

/// <summary>An IPv4 network in CIDR form, e.g. <c>198.18.0.0/15</c>.</summary>
public sealed record Ipv4Network(Ipv4Address Base, int PrefixLength)
{
    public static bool TryParse(string? text, out Ipv4Network? network, out string? error)
    {
        network = null;
        error = null;
        var parts = (text ?? "").Trim().Split('/');
        if (parts.Length != 2 || !Ipv4Address.TryParse(parts[0], out var address)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix is < 8 or > 30)
        {
            error = $"'{text}' is not an IPv4 network in CIDR form with a prefix length from 8 to 30 (for example 192.0.2.0/24)";
            return false;
        }
        var candidate = new Ipv4Network(address, prefix);
        if ((address.Value & ~candidate.Mask) != 0)
        {
            error = $"'{text}' has host bits set; the network is {new Ipv4Address(address.Value & candidate.Mask)}/{prefix}";
            return false;
        }
        if ((address.Value >> 24) == 127)
        {
            error = $"'{text}' is a loopback network; Ganeti refuses loopback node addresses (gnt-cluster init)";
            return false;
        }
        network = candidate;
        return true;
    }

    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);

    /// <summary>Usable host addresses: the network and broadcast addresses are excluded.</summary>
    public long HostCount => (1L << (32 - PrefixLength)) - 2;

    public Ipv4Address FirstHost => Base.Add(1);

    public Ipv4Address LastHost => new(Base.Value + (uint)HostCount);

    public string Netmask => new Ipv4Address(Mask).ToString();

    public bool ContainsHost(Ipv4Address address) =>
        address.CompareTo(FirstHost) >= 0 && address.CompareTo(LastHost) <= 0;

    public override string ToString() => $"{Base}/{PrefixLength}";
}
