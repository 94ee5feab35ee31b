//! The parts of the IP API that Go's tables do not cover directly. Runs
//! natively and in Chromium.

use runtime_wasm::net::*;

#[macro_use]
mod common;

both! {
    fn from_str_is_unmarshal_text() {
        assert_eq!("10.0.0.1".parse::<IP>(), Ok(ipv4(10, 0, 0, 1)));
        assert_eq!("".parse::<IP>(), Ok(IP::default()));
        let e = "127.001.002.003".parse::<IP>().unwrap_err();
        assert_eq!(e.to_string(), "invalid IP address: 127.001.002.003");
        assert_eq!(e.code(), "parse");
    }

    fn default_mask_is_classful() {
        assert_eq!(ipv4(10, 1, 2, 3).default_mask(), Some(ipv4_mask(255, 0, 0, 0)));
        assert_eq!(ipv4(172, 16, 0, 1).default_mask(), Some(ipv4_mask(255, 255, 0, 0)));
        assert_eq!(IP::from([192, 168, 1, 1]).default_mask(), Some(ipv4_mask(255, 255, 255, 0)));
        assert_eq!(parse_ip("2001:db8::1").and_then(|ip| ip.default_mask()), None);
    }

    fn to4_to16_convert_between_forms() {
        let v4 = IP::from([192, 0, 2, 1]);
        assert_eq!(v4.to16(), Some(ipv4(192, 0, 2, 1)));
        assert_eq!(ipv4(192, 0, 2, 1).to4(), Some(v4.clone()));
        assert!(v4.equal(&ipv4(192, 0, 2, 1)) && v4 != ipv4(192, 0, 2, 1));
        assert_eq!(IP(vec![1, 2, 3]).to16(), None);
        assert_eq!(parse_ip("::1").and_then(|ip| ip.to4()), None);
    }

    fn mask_size_and_network() {
        assert_eq!(cidr_mask(20, 32).map(|m| m.size()), Some((20, 32)));
        assert_eq!(ipv4_mask(255, 0, 255, 0).size(), (0, 0));
        assert_eq!(IPMask::default().size(), (0, 0));
        let (_, net) = parse_cidr("10.1.2.3/8").unwrap();
        assert_eq!(net.network(), "ip+net");
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert!(net.contains(&IP::from([10, 255, 0, 1])) && !net.contains(&ipv4(11, 0, 0, 0)));
    }
}
