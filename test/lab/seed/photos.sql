-- Lifeboat test lab: deterministic content of the "photos" MariaDB database.
-- Rows: albums 40, photos 3000, tags 4500 (uses MariaDB's built-in SEQUENCE engine).
SET NAMES utf8mb4;

CREATE TABLE albums (
  id         INT PRIMARY KEY,
  title      VARCHAR(200) NOT NULL,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO albums (id, title, created_at)
SELECT seq, CONCAT(ELT(1 + seq % 5, 'Holiday', 'Café ☕', 'Family', 'Garden', 'It''s "raw"'), ' ', seq),
       '2023-01-01 00:00:00' + INTERVAL seq DAY
FROM seq_1_to_40;

CREATE TABLE photos (
  id        INT PRIMARY KEY,
  album_id  INT NOT NULL,
  filename  VARCHAR(255) NOT NULL,
  sha1      CHAR(40) NOT NULL,
  width     INT NOT NULL,
  height    INT NOT NULL,
  taken_at  DATETIME NOT NULL,
  KEY (album_id),
  CONSTRAINT photos_album FOREIGN KEY (album_id) REFERENCES albums (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO photos (id, album_id, filename, sha1, width, height, taken_at)
SELECT seq, 1 + seq % 40, CONCAT('IMG_', LPAD(seq, 5, '0'), '.jpg'), SHA1(CONCAT('photo', seq)),
       640 + (seq * 37) % 3360, 480 + (seq * 53) % 2520,
       '2023-01-01 00:00:00' + INTERVAL (seq * 3607) SECOND
FROM seq_1_to_3000;

CREATE TABLE tags (
  photo_id INT NOT NULL,
  tag      VARCHAR(50) NOT NULL,
  PRIMARY KEY (photo_id, tag),
  CONSTRAINT tags_photo FOREIGN KEY (photo_id) REFERENCES photos (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO tags (photo_id, tag)
SELECT seq, ELT(1 + seq % 5, 'family', 'holiday', 'café', 'pets', 'nature') FROM seq_1_to_3000;
INSERT INTO tags (photo_id, tag)
SELECT seq, ELT(1 + seq % 3, 'favourite', 'printed', 'shared') FROM seq_1_to_3000 WHERE seq % 2 = 0;

CREATE VIEW album_counts AS
  SELECT a.id, a.title, COUNT(p.id) AS photos FROM albums a LEFT JOIN photos p ON p.album_id = a.id
  GROUP BY a.id, a.title;
