-- Not in the committed baseline at all: the committed test must fail rather than pass as a first sight.
select 1 as id
