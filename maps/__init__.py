"""Map generator (folium): coverage and gap maps per region and area."""
