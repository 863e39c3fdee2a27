select * from {{ ref('pii_people') }}
