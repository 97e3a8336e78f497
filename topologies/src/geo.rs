//! Geography: great-circle distance, continent classification and data-centre region keys.

use crate::Location;

/// Mean Earth radius in km, used by the haversine formula.
const EARTH_RADIUS_KM: f64 = 6371.0;

impl Location {
    /// Great-circle (geodesic on a sphere) distance to `other`, in km.
    ///
    /// Haversine formula with the mean Earth radius 6371.0 km; symmetric, 0 for equal points,
    /// at most half the Earth's circumference (~20,015 km).
    pub fn great_circle_km(&self, other: &Location) -> f64 {
        let (phi1, phi2) = (
            self.latitude_deg.to_radians(),
            other.latitude_deg.to_radians(),
        );
        let d_phi = phi2 - phi1;
        let d_lambda = (other.longitude_deg - self.longitude_deg).to_radians();
        let h =
            (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// Rough continent of a point, by ordered latitude/longitude rules (see
/// [`crate::Validator::continent`]). Total: every point gets a continent.
pub(crate) fn continent_of(loc: &Location) -> &'static str {
    let (lat, lon) = (loc.latitude_deg, loc.longitude_deg);
    // The Americas: west of the mid-Atlantic (32°W; 25°W north of 50°N so Greenland is
    // included and Iceland is not; 10°W north of 67°N for north-east Greenland).
    let west = lon < -32.0 || (lat >= 50.0 && lon < -25.0) || (lat >= 67.0 && lon < -10.0);
    if west {
        return if lon < -120.0 && lat < 10.0 {
            "oceania" // Polynesia
        } else if lat >= 13.0 || (lat >= 7.0 && lon < -77.5) {
            "north_america" // incl. Central America down to Panama, the Caribbean, Hawaii
        } else {
            "south_america"
        };
    }
    if is_europe(lat, lon) {
        return "europe";
    }
    // Australia, New Zealand, New Guinea and the western Pacific islands.
    if (lon >= 110.0 && lat < -10.0) || (lon >= 130.0 && lat < 25.0) {
        return "oceania";
    }
    if is_africa(lat, lon) {
        return "africa";
    }
    "asia"
}

/// Europe east of 32°W: north of a latitude that depends on the longitude band (the
/// Mediterranean coast, then the Bosporus, Black Sea, Caucasus, Caspian and Ural river), west
/// of the Urals (60°E).
fn is_europe(lat: f64, lon: f64) -> bool {
    let min_lat = match lon {
        l if l < -1.8 => 36.0,  // Iberia / Morocco: Strait of Gibraltar
        l if l < 11.5 => 37.36, // Spain, Sardinia vs. Algeria / Tunisia (Africa reaches 37.35°N)
        l if l < 26.6 => 34.0,  // Italy, Malta, Greece incl. Crete vs. Libya
        l if l < 29.1 => 40.3,  // Thrace and Istanbul; Anatolia is Asia
        l if l < 46.0 => 43.0,  // north of the Black Sea and the Caucasus
        l if l < 49.5 => 42.0,  // west shore of the Caspian
        l if l < 51.8 => 46.5,  // north of the Caspian
        l if l < 60.0 => 51.0,  // north of the Ural river
        _ => return false,      // east of the Urals
    };
    lat >= min_lat
}

/// Africa, for points east of 32°W that are not in Europe: south of the Mediterranean, west of
/// the Suez isthmus and the Red Sea (a line from 29.5°N 34.5°E to 12.5°N 43.3°E); south of
/// 12.5°N, everything west of 60°E (incl. the Horn, Madagascar, the Seychelles, Mauritius).
fn is_africa(lat: f64, lon: f64) -> bool {
    if lat < 12.5 {
        return lon < 60.0;
    }
    let max_lat = if lon < 11.6 { 37.36 } else { 33.5 };
    let red_sea_lon = 34.5 + (29.5 - lat) * (8.8 / 17.0);
    lat < max_lat && lon < red_sea_lon
}

/// `"COUNTRY-City"` from a validators.app data-centre key `ASN-COUNTRY-City`; see
/// [`crate::Validator::region`].
pub(crate) fn region_of(key: &str) -> Option<String> {
    let mut parts = key.trim().splitn(3, '-');
    let (asn, country, city) = (parts.next()?, parts.next()?, parts.next()?);
    if asn.is_empty() || !asn.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Some cities are time-zone names ("Europe/London", "America/New_York").
    let city = city.rsplit('/').next().unwrap_or(city).replace('_', " ");
    let city = city.trim();
    if city.is_empty() || city.eq_ignore_ascii_case("unknown") {
        return None;
    }
    Some(format!("{}-{}", country.trim(), city))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(latitude_deg: f64, longitude_deg: f64) -> Location {
        Location {
            latitude_deg,
            longitude_deg,
        }
    }

    #[test]
    fn haversine_known_city_pairs() {
        let frankfurt = at(50.1109, 8.6821);
        let ashburn = at(39.0438, -77.4874);
        let d = frankfurt.great_circle_km(&ashburn);
        assert!(
            (d - 6500.0).abs() / 6500.0 < 0.02,
            "Frankfurt-Ashburn {d} km"
        );
        assert_eq!(d, ashburn.great_circle_km(&frankfurt));
        // London-New York ~5,570 km; Tokyo-Singapore ~5,320 km; Sydney-Amsterdam ~16,640 km.
        let cases = [
            (at(51.5074, -0.1278), at(40.7128, -74.0060), 5570.0),
            (at(35.6762, 139.6503), at(1.3521, 103.8198), 5320.0),
            (at(-33.8688, 151.2093), at(52.3676, 4.9041), 16640.0),
        ];
        for (a, b, km) in cases {
            let d = a.great_circle_km(&b);
            assert!(
                (d - km).abs() / km < 0.01,
                "{a:?} {b:?}: {d} km, expected ~{km}"
            );
        }
        assert_eq!(frankfurt.great_circle_km(&frankfurt), 0.0);
        // Antipodes: half the circumference.
        let d = at(0.0, 0.0).great_circle_km(&at(0.0, 180.0));
        assert!((d - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }

    #[test]
    fn continents_of_known_places() {
        let cases = [
            ((50.11, 8.68), "europe"),           // Frankfurt
            ((52.37, 4.90), "europe"),           // Amsterdam
            ((51.51, -0.13), "europe"),          // London
            ((55.75, 37.62), "europe"),          // Moscow
            ((41.01, 28.98), "europe"),          // Istanbul (European side)
            ((40.42, -3.70), "europe"),          // Madrid
            ((35.90, 14.51), "europe"),          // Malta
            ((64.15, -21.94), "europe"),         // Reykjavik
            ((47.0, 8.0), "europe"),             // "Europe/Vaduz" rows of the epoch-780 file
            ((39.04, -77.49), "north_america"),  // Ashburn
            ((41.88, -87.63), "north_america"),  // Chicago
            ((19.43, -99.13), "north_america"),  // Mexico City
            ((8.98, -79.52), "north_america"),   // Panama City
            ((21.31, -157.86), "north_america"), // Honolulu
            ((64.18, -51.72), "north_america"),  // Nuuk
            ((4.71, -74.07), "south_america"),   // Bogota
            ((-23.55, -46.63), "south_america"), // Sao Paulo
            ((-34.60, -58.38), "south_america"), // Buenos Aires
            ((35.68, 139.65), "asia"),           // Tokyo
            ((1.35, 103.82), "asia"),            // Singapore
            ((22.32, 114.17), "asia"),           // Hong Kong
            ((19.08, 72.88), "asia"),            // Mumbai
            ((32.09, 34.78), "asia"),            // Tel Aviv
            ((25.20, 55.27), "asia"),            // Dubai
            ((21.49, 39.19), "asia"),            // Jeddah
            ((39.93, 32.86), "asia"),            // Ankara
            ((35.69, 51.39), "asia"),            // Tehran
            ((-6.21, 106.85), "asia"),           // Jakarta
            ((-33.87, 151.21), "oceania"),       // Sydney
            ((-31.95, 115.86), "oceania"),       // Perth
            ((-36.85, 174.76), "oceania"),       // Auckland
            ((-17.53, -149.57), "oceania"),      // Papeete
            ((30.04, 31.24), "africa"),          // Cairo
            ((36.81, 10.18), "africa"),          // Tunis
            ((33.57, -7.59), "africa"),          // Casablanca
            ((6.52, 3.38), "africa"),            // Lagos
            ((-1.29, 36.82), "africa"),          // Nairobi
            ((-26.20, 28.05), "africa"),         // Johannesburg
            ((-4.62, 55.45), "africa"),          // Mahe, Seychelles
        ];
        for ((lat, lon), want) in cases {
            assert_eq!(continent_of(&at(lat, lon)), want, "({lat}, {lon})");
        }
    }

    #[test]
    fn region_keys() {
        let r = |k: &str| region_of(k);
        assert_eq!(
            r("20326-DE-Frankfurt am Main").as_deref(),
            Some("DE-Frankfurt am Main")
        );
        assert_eq!(r("6461-GB-Europe/London").as_deref(), Some("GB-London"));
        assert_eq!(r("396356-GB-London").as_deref(), Some("GB-London"));
        assert_eq!(r("1-US-America/New_York").as_deref(), Some("US-New York"));
        assert_eq!(r("1-RO-Cluj-Napoca").as_deref(), Some("RO-Cluj-Napoca"));
        assert_eq!(r("29066--Europe/Vaduz").as_deref(), Some("-Vaduz"));
        assert_eq!(r("0--Unknown"), None);
        assert_eq!(r("Frankfurt"), None);
        assert_eq!(r("DE-Frankfurt"), None);
        assert_eq!(r(""), None);
    }
}
