/** The 2025 merger of provinces (Resolution 202/2025/QH15): 63 provinces became 34, from 1 July 2025. Current name → provinces merged into it. */
export const PROVINCE_MERGERS_2025: Readonly<Record<string, readonly string[]>> = {
  'Tuyên Quang': ['Hà Giang'],
  'Lào Cai': ['Yên Bái'],
  'Thái Nguyên': ['Bắc Kạn'],
  'Phú Thọ': ['Vĩnh Phúc', 'Hòa Bình'],
  'Bắc Ninh': ['Bắc Giang'],
  'Hưng Yên': ['Thái Bình'],
  'Hải Phòng': ['Hải Dương'],
  'Ninh Bình': ['Hà Nam', 'Nam Định'],
  'Quảng Trị': ['Quảng Bình'],
  'Đà Nẵng': ['Quảng Nam'],
  'Quảng Ngãi': ['Kon Tum'],
  'Gia Lai': ['Bình Định'],
  'Khánh Hòa': ['Ninh Thuận'],
  'Lâm Đồng': ['Đắk Nông', 'Bình Thuận'],
  'Đắk Lắk': ['Phú Yên'],
  'Hồ Chí Minh': ['Bình Dương', 'Bà Rịa - Vũng Tàu'],
  'Đồng Nai': ['Bình Phước'],
  'Tây Ninh': ['Long An'],
  'Cần Thơ': ['Sóc Trăng', 'Hậu Giang'],
  'Vĩnh Long': ['Bến Tre', 'Trà Vinh'],
  'Đồng Tháp': ['Tiền Giang'],
  'Cà Mau': ['Bạc Liêu'],
  'An Giang': ['Kiên Giang'],
  // Thừa Thiên Huế became the centrally-run city of Huế in January 2025.
  Huế: ['Thừa Thiên Huế'],
};

/** Provinces the 2025 merger left as they were. */
const UNCHANGED = ['Hà Nội', 'Lai Châu', 'Điện Biên', 'Sơn La', 'Lạng Sơn', 'Quảng Ninh', 'Thanh Hóa', 'Nghệ An', 'Hà Tĩnh', 'Cao Bằng'];

/** The 63 provinces and centrally-run cities before the 2025 merger. */
export const PROVINCES_BEFORE_2025: readonly string[] = [
  ...UNCHANGED,
  ...Object.entries(PROVINCE_MERGERS_2025).flatMap(([current, merged]) => (current === 'Huế' ? merged : [current, ...merged])),
];

/** Today's name of a province (itself when the merger did not touch it). */
export function currentProvince(province: string): string {
  for (const [current, merged] of Object.entries(PROVINCE_MERGERS_2025)) if (merged.includes(province)) return current;
  return province;
}
